"""The template `chalice package` produces (merged with infra/resources.json): every
/v1/admin route is IAM-authorized, every other route but health uses the Bearer authorizer,
and the import bucket is private, encrypted and wired to the import function.

Packaging normally downloads the Lambda's dependencies; the API definition does not depend on
them, so a copy of the project with an empty requirements file is packaged (no network)."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    project = tmp_path_factory.mktemp("package")
    for name in ("app.py", "chalicelib", ".chalice", "infra"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, project / name)
    (project / "requirements.txt").write_text("")
    chalice = Path(sys.executable).with_name("chalice")
    env = {**os.environ, "AWS_DEFAULT_REGION": "eu-west-2"}
    subprocess.run([str(chalice), "package", "--stage", "dev", "--merge-template", "infra/resources.json", "out"],
                   cwd=project, env=env, check=True, capture_output=True, timeout=300)
    return json.loads((project / "out" / "sam.json").read_text())


def test_admin_routes_use_iam_and_the_others_the_bearer_authorizer(template):
    api = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    checked = 0
    for path, methods in api["paths"].items():
        for method, operation in methods.items():
            if method == "options":
                continue
            schemes = [name for requirement in operation.get("security", []) for name in requirement]
            if path.startswith("/v1/admin"):
                assert schemes == ["sigv4"], (method, path)
            elif path == "/v1/health":
                assert schemes == [], (method, path)
            else:
                assert schemes == ["bearer"], (method, path)
            checked += 1
    assert checked >= 18
    assert api["securityDefinitions"]["bearer"]["x-amazon-apigateway-authorizer"]["authorizerResultTtlInSeconds"] == 300


def test_the_import_bucket_is_private_encrypted_and_wired_to_the_import_function(template):
    resources = template["Resources"]
    bucket = resources["ImportBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    wiring = bucket["NotificationConfiguration"]["LambdaConfigurations"][0]
    assert wiring["Function"] == {"Fn::GetAtt": ["ImportUploadedFile", "Arn"]}
    assert wiring["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": "imports/"}]
    assert "ImportUploadedFile" in resources and resources["LoyaltyTable"]["Type"] == "AWS::DynamoDB::Table"
    # Import files carry customers' personal data, which an erasure cannot reach: they expire.
    expiry = {rule["Prefix"]: rule["ExpirationInDays"] for rule in bucket["LifecycleConfiguration"]["Rules"]}
    assert expiry["imports/"] <= 30
