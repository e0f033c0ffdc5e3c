"""The template `chalice package` produces (merged with infra/resources.json): every
/v1/admin route is IAM-authorized, every other route but health uses the Bearer authorizer,
the import bucket is private, encrypted and wired to the import function, the errors API
Gateway answers itself have the API's one error shape, alarms watch the API, the table and
every function, the dashboard shows the app's business metrics, and cfn-lint finds nothing.

Packaging normally downloads the Lambda's dependencies; the API definition does not depend on
them, so a copy of the project with an empty requirements file is packaged (no network)."""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STAGE = "dev"


@pytest.fixture(scope="module")
def packaged(tmp_path_factory) -> Path:
    """The packaged template's path (out/sam.json of a copy of the project, stage dev)."""
    project = tmp_path_factory.mktemp("package")
    for name in ("app.py", "chalicelib", ".chalice", "infra"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, project / name)
    (project / "requirements.txt").write_text("")
    chalice = Path(sys.executable).with_name("chalice")
    env = {**os.environ, "AWS_DEFAULT_REGION": "eu-west-2"}
    subprocess.run([str(chalice), "package", "--stage", STAGE, "--merge-template", "infra/resources.json", "out"],
                   cwd=project, env=env, check=True, capture_output=True, timeout=300)
    return project / "out" / "sam.json"


@pytest.fixture(scope="module")
def template(packaged):
    return json.loads(packaged.read_text())


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
            elif path in ("/v1/health", "/v1/openapi.json"):
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


# --- alarms, dashboard, gateway responses, lint ------------------------------------------------

def _of_type(template, resource_type):
    return {name: resource for name, resource in template["Resources"].items() if resource["Type"] == resource_type}


def _alarm_metrics(alarm):
    """(namespace, metric name, {dimension: value}, statistic) of every metric an alarm reads."""
    props = alarm["Properties"]
    if "Metrics" in props:
        stats = [query["MetricStat"] for query in props["Metrics"] if "MetricStat" in query]
        return [(stat["Metric"]["Namespace"], stat["Metric"]["MetricName"],
                 {d["Name"]: d["Value"] for d in stat["Metric"]["Dimensions"]}, stat["Stat"]) for stat in stats]
    return [(props["Namespace"], props["MetricName"], {d["Name"]: d["Value"] for d in props["Dimensions"]},
             props.get("Statistic") or props.get("ExtendedStatistic"))]


def test_alarms_watch_the_api_the_table_and_every_function(template):
    alarms = _of_type(template, "AWS::CloudWatch::Alarm")
    watched = [metric for alarm in alarms.values() for metric in _alarm_metrics(alarm)]
    # API Gateway names its metrics after the RestApi's name (chalice's app name, the body's title)
    # and the API Gateway stage, which the stages of .chalice/config.json name like the chalice stage.
    api = {"ApiName": template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["info"]["title"],
           "Stage": {"Ref": "Stage"}}
    stages = json.loads((ROOT / ".chalice" / "config.json").read_text())["stages"]
    assert set(template["Parameters"]["Stage"]["AllowedValues"]) <= {
        name for name, stage in stages.items() if stage.get("api_gateway_stage") == name}
    assert template["Resources"]["RestAPI"]["Properties"]["StageName"] == STAGE

    error_rate = [alarm for alarm in alarms.values() if {("AWS/ApiGateway", "5XXError"), ("AWS/ApiGateway", "Count")}
                  <= {(ns, name) for ns, name, dims, _ in _alarm_metrics(alarm) if dims == api}]
    assert len(error_rate) == 1
    expression = [q for q in error_rate[0]["Properties"]["Metrics"] if q.get("ReturnData")]
    assert len(expression) == 1 and "/" in expression[0]["Expression"]
    assert ("AWS/ApiGateway", "Latency", api, "p99") in watched

    table = {"TableName": {"Ref": "LoyaltyTable"}}
    throttles = {(name, dims.get("GlobalSecondaryIndexName")) for ns, name, dims, _ in watched
                 if ns == "AWS/DynamoDB" and dims.get("TableName") == table["TableName"]}
    indexes = [index["IndexName"] for index in
               template["Resources"]["LoyaltyTable"]["Properties"]["GlobalSecondaryIndexes"]]
    for index in [None] + indexes:
        assert {("ReadThrottleEvents", index), ("WriteThrottleEvents", index)} <= throttles, index

    # Every function chalice packages (API handler, authorizer, import) has both alarms, so a new
    # function without them fails here.
    functions = _of_type(template, "AWS::Serverless::Function")
    assert {"APIHandler", "Bearer", "ImportUploadedFile"} <= set(functions)
    for function in functions:
        for metric in ("Errors", "Throttles"):
            assert ("AWS/Lambda", metric, {"FunctionName": {"Ref": function}}, "Sum") in watched, (function, metric)


def test_alarms_notify_the_optional_topic_and_stay_quiet_without_traffic(template):
    assert template["Parameters"]["AlarmTopicArn"]["Default"] == ""
    assert template["Conditions"]["HasAlarmTopic"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmTopicArn"}, ""]}]}
    actions = {"Fn::If": ["HasAlarmTopic", [{"Ref": "AlarmTopicArn"}], {"Ref": "AWS::NoValue"}]}
    alarms = _of_type(template, "AWS::CloudWatch::Alarm")
    assert len(alarms) >= 9
    names = set()
    for name, alarm in alarms.items():
        props = alarm["Properties"]
        assert props["AlarmActions"] == actions and props["OKActions"] == actions, name
        # No traffic is not an incident (a quiet night, or a dev stage nobody calls).
        assert props["TreatMissingData"] == "notBreaching", name
        assert "infra/README.md" in props["AlarmDescription"], name
        assert props["AlarmName"]["Fn::Sub"].startswith("loyalty-${Stage}-"), name
        names.add(props["AlarmName"]["Fn::Sub"])
    assert len(names) == len(alarms)


def _render(node, values):
    """The string CloudFormation makes of Fn::Join / Fn::Sub, with ``values`` for each variable."""
    if isinstance(node, str):
        return node
    (function, argument), = node.items()
    if function == "Fn::Join":
        separator, parts = argument
        return separator.join(_render(part, values) for part in parts)
    if function == "Fn::Sub":
        assert isinstance(argument, str)
        return re.sub(r"\$\{([^}!][^}]*)\}", lambda match: values[match.group(1)], argument)
    raise AssertionError(f"unexpected {function} in the dashboard body")


def _dashboard_metrics(body):
    """(namespace, metric name, {dimension: value}) of every metric the dashboard's widgets show."""
    found = []
    for widget in body["widgets"]:
        for row in widget["properties"].get("metrics", []):
            fields = [field for field in row if not isinstance(field, dict)]
            assert "." not in fields, "spell every metric out: the test reads them"
            namespace, name, *dims = fields
            found.append((namespace, name, dict(zip(dims[0::2], dims[1::2]))))
    return found


def test_the_dashboard_shows_the_business_metrics_the_app_emits(template):
    (dashboard,) = _of_type(template, "AWS::CloudWatch::Dashboard").values()
    values = {"Stage": STAGE, "AWS::Region": "eu-west-2"}
    for name in template["Resources"]:
        values[name] = f"physical-{name}"
        values[f"{name}.Arn"] = f"arn:aws:cloudwatch:eu-west-2:123456789012:alarm:{name}"
    body = json.loads(_render(dashboard["Properties"]["DashboardBody"], values))  # a KeyError: unknown ${...}
    metrics = _dashboard_metrics(body)

    # The contract with the app's aws-lambda-powertools Metrics (embedded metric format).
    app = {"service": "loyalty-api", "stage": STAGE}
    assert ("LoyaltyAPI", "QuotesCreated", app) in metrics
    assert ("LoyaltyAPI", "OrdersCommitted", app) in metrics
    for kind in ("tier", "promotion"):
        assert ("LoyaltyAPI", "DiscountGranted", {**app, "kind": kind}) in metrics
    for outcome in ("ship", "verify", "review"):
        assert ("LoyaltyAPI", "AddressDecisions", {**app, "outcome": outcome}) in metrics
    for source in ("goodwill", "manual", "refund"):
        assert ("LoyaltyAPI", "CreditGranted", {**app, "source": source}) in metrics
    assert ("LoyaltyAPI", "CreditSpent", app) in metrics and ("LoyaltyAPI", "CreditReturned", app) in metrics
    # Only the contract's names: a metric the app does not emit would be an empty graph.
    assert {name for namespace, name, _ in metrics if namespace == "LoyaltyAPI"} == {
        "QuotesCreated", "OrdersCommitted", "DiscountGranted", "AddressDecisions",
        "CreditGranted", "CreditSpent", "CreditReturned"}

    shown = {(namespace, name) for namespace, name, _ in metrics}
    assert {("AWS/ApiGateway", "Latency"), ("AWS/ApiGateway", "4XXError"), ("AWS/ApiGateway", "5XXError"),
            ("AWS/Lambda", "Duration"), ("AWS/DynamoDB", "ReadThrottleEvents"),
            ("AWS/DynamoDB", "WriteThrottleEvents")} <= shown
    latency = [row for widget in body["widgets"] for row in widget["properties"].get("metrics", [])
               if row[:2] == ["AWS/ApiGateway", "Latency"]]
    assert {row[-1]["stat"] for row in latency} >= {"p50", "p99"}
    alarm_widgets = [widget for widget in body["widgets"] if widget["type"] == "alarm"]
    assert {arn.rsplit(":", 1)[1] for widget in alarm_widgets for arn in widget["properties"]["alarms"]} == set(
        _of_type(template, "AWS::CloudWatch::Alarm"))

    outputs = template["Outputs"]
    assert outputs["DashboardName"]["Value"] == {"Ref": "Dashboard"}
    assert "#dashboards:name=${Dashboard}" in outputs["DashboardURL"]["Value"]["Fn::Sub"]


def test_errors_api_gateway_answers_itself_have_the_api_error_shape(template):
    # In the API's own swagger (SAM's GatewayResponses), not as AWS::ApiGateway::GatewayResponse
    # resources: those are lost when SAM puts the API body again on a later deploy, and a change to
    # them deploys nothing (the stage keeps the old deployment).
    assert not _of_type(template, "AWS::ApiGateway::GatewayResponse")
    responses = template["Resources"]["RestAPI"]["Properties"]["GatewayResponses"]
    expected_codes = {"UNAUTHORIZED": "unauthorized", "ACCESS_DENIED": "forbidden", "THROTTLED": "throttled",
                      "MISSING_AUTHENTICATION_TOKEN": "not_found",
                      "REQUEST_TOO_LARGE": "payload_too_large", "DEFAULT_5XX": "internal_error"}
    required = {"UNAUTHORIZED", "ACCESS_DENIED", "MISSING_AUTHENTICATION_TOKEN", "THROTTLED", "DEFAULT_4XX",
                "DEFAULT_5XX", "AUTHORIZER_FAILURE", "REQUEST_TOO_LARGE", "INVALID_SIGNATURE", "EXPIRED_TOKEN"}
    assert required <= set(responses)
    for response_type, response in responses.items():
        assert set(response) <= {"ResponseParameters", "ResponseTemplates", "StatusCode"}, response_type
        # Without a StatusCode API Gateway keeps each type's own status (401, 403, 429, ...); only
        # "no such route" is changed, from 403 to 404 not_found, as chalice local answers it too
        # (devtools/local_api.py).
        if response_type == "MISSING_AUTHENTICATION_TOKEN":
            assert response["StatusCode"] == "404"
        else:
            assert "StatusCode" not in response, response_type
        assert response["ResponseParameters"]["Headers"]["Content-Type"] == "'application/json'", response_type
        (content_type, body_template), = response["ResponseTemplates"].items()
        assert content_type == "application/json"
        # $context.error.messageString is substituted already JSON-quoted.
        body = json.loads(body_template.replace("$context.error.messageString", json.dumps('Say "no"')))
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, response_type
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", body["error"]["code"]), response_type
        assert body["error"]["message"] and body["error"]["details"] == [], response_type
        if response_type in expected_codes:
            assert body["error"]["code"] == expected_codes[response_type]
    assert responses["UNAUTHORIZED"]["ResponseParameters"]["Headers"]["WWW-Authenticate"] == "'Bearer'"


def test_cfn_lint_finds_no_error_or_warning_in_the_packaged_template(packaged, monkeypatch):
    from cfnlint.api import lint

    # cfn-lint reads its bundled schemas; make sure it never reaches past this machine.
    real_connect = socket.socket.connect

    def loopback_only(sock, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and host not in ("localhost", "::1") and not host.startswith("127."):
            raise AssertionError(f"cfn-lint tried to reach {address!r}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", loopback_only)
    # Errors (E) and warnings (W); informational (I) findings are not run. No warning is filtered.
    matches = lint(packaged.read_text(), regions=["eu-west-2"])
    assert not matches, "\n".join(str(match) for match in matches)


def test_the_stage_secrets_are_generated_in_the_stack_and_readable_by_the_functions_only_by_name(template):
    """Issue 11, defect 14: a deployed stage had no way to get its quote signing key (every quote
    a 503) nor the hash key. The stack creates both in Secrets Manager with a random value; the
    functions get the secret ids (never a value) and may read exactly those secrets."""
    from fnmatch import fnmatchcase

    resources = template["Resources"]
    secrets = {name: resource for name, resource in resources.items()
               if resource["Type"] == "AWS::SecretsManager::Secret"}
    names = {resource["Properties"]["Name"]["Fn::Sub"].replace("${Stage}", STAGE): logical
             for logical, resource in secrets.items()}
    expected = {"LOYALTY_QUOTE_SIGNING_KEY_SECRET_ID": f"loyalty/{STAGE}/quote-signing-key",
                "LOYALTY_HASH_KEY_SECRET_ID": f"loyalty/{STAGE}/hash-key"}
    assert set(names) == set(expected.values())
    for resource in secrets.values():
        generated = resource["Properties"]["GenerateSecretString"]
        assert generated["PasswordLength"] >= 32 and "SecretString" not in resource["Properties"]
    assert secrets[names[f"loyalty/{STAGE}/hash-key"]]["DeletionPolicy"] == "Retain"  # lookups are made with it

    secret_arn = "arn:aws:secretsmanager:eu-west-2:123456789012:secret:{}-AbC123"
    for function in ("APIHandler", "ImportUploadedFile"):
        properties = resources[function]["Properties"]
        variables = properties["Environment"]["Variables"]
        for variable, secret_id in expected.items():
            assert variables[variable] == secret_id, (function, variable)
            assert variable.removesuffix("_SECRET_ID") not in variables  # no secret value in the template
        role = resources[properties["Role"]["Fn::GetAtt"][0]]
        statements = [statement for policy in role["Properties"]["Policies"]
                      for statement in policy["PolicyDocument"]["Statement"]]
        readable = [pattern for statement in statements if "secretsmanager:GetSecretValue" in statement["Action"]
                    for pattern in (statement["Resource"] if isinstance(statement["Resource"], list)
                                    else [statement["Resource"]])]
        for secret_id in expected.values():
            assert any(fnmatchcase(secret_arn.format(secret_id), pattern) for pattern in readable), (function, secret_id)
        assert not any(fnmatchcase(secret_arn.format("loyalty/prod/hash-key"), pattern) for pattern in readable)
        assert all("*" not in pattern.rsplit(":", 1)[1] for pattern in readable)  # by name, no wildcard secrets


def test_the_table_stream_feeds_the_events_function_which_publishes_to_the_stage_bus(template):
    """Issue 16: the stream (new and old images) -> the events function (partial batch failures,
    bounded retries, failures parked on the dead-letter queue) -> the bus loyalty-<stage>; an
    optional store endpoint by parameters; alarms on the queue's depth and the stream's lag."""
    resources = template["Resources"]
    assert resources["LoyaltyTable"]["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    function = resources["TableStreamEvents"]["Properties"]
    (source,) = function["Events"].values()
    props = source["Properties"]
    assert source["Type"] == "DynamoDB" and props["Stream"] == {"Fn::GetAtt": ["LoyaltyTable", "StreamArn"]}
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"] and props["BisectBatchOnFunctionError"]
    assert 0 < props["MaximumRetryAttempts"] <= 20
    assert props["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": ["EventsDeadLetterQueue", "Arn"]}
    assert function["Environment"]["Variables"]["LOYALTY_EVENT_BUS"] == {"Ref": "EventBus"}
    assert function["Environment"]["Variables"]["LOYALTY_EVENTS_DLQ_URL"] == {"Ref": "EventsDeadLetterQueue"}
    assert resources["EventBus"]["Properties"]["Name"] == {"Fn::Sub": "loyalty-${Stage}"}
    assert resources["EventsDeadLetterQueue"]["Type"] == "AWS::SQS::Queue"

    parameters = template["Parameters"]
    assert parameters["StoreWebhookUrl"]["Default"] == "" and parameters["StoreWebhookSecret"]["NoEcho"]
    assert set(parameters["StoreWebhookAuthType"]["AllowedValues"]) == {"API_KEY", "BASIC"}
    assert "customer.erased" in parameters["StoreWebhookEventTypes"]["Default"].split(",")
    for name in ("StoreWebhookConnection", "StoreWebhookDestination", "StoreWebhookRule", "StoreWebhookRuleRole"):
        assert resources[name]["Condition"] == "HasStoreWebhook", name
    assert resources["StoreWebhookDestination"]["Properties"]["InvocationEndpoint"] == {"Ref": "StoreWebhookUrl"}
    (target,) = resources["StoreWebhookRule"]["Properties"]["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": ["StoreWebhookDestination", "Arn"]}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == {"Ref": "StoreWebhookMaxRetries"}
    assert target["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": ["EventsDeadLetterQueue", "Arn"]}
    assert resources["StoreWebhookRule"]["Properties"]["EventPattern"]["source"] == ["loyalty-api"]

    watched = [metric for alarm in _of_type(template, "AWS::CloudWatch::Alarm").values()
               for metric in _alarm_metrics(alarm)]
    assert ("AWS/Lambda", "IteratorAge", {"FunctionName": {"Ref": "TableStreamEvents"}}, "Maximum") in watched
    assert ("AWS/SQS", "ApproximateNumberOfMessagesVisible",
            {"QueueName": {"Fn::GetAtt": ["EventsDeadLetterQueue", "QueueName"]}}, "Maximum") in watched

    role = resources[function["Role"]["Fn::GetAtt"][0]]
    actions = {action for policy in role["Properties"]["Policies"] for statement in policy["PolicyDocument"]["Statement"]
               for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])}
    assert {"dynamodb:GetRecords", "events:PutEvents", "sqs:SendMessage"} <= actions


def test_big_imports_fan_out_on_a_queue_to_a_worker_of_bounded_concurrency_with_a_watched_dead_letter_queue(template):
    """Issue 19: the S3 function plans chunks onto a queue; the chunk worker's concurrency is a stack
    parameter (reserved, and the event source's maximum, so SQS never throttles it into the DLQ);
    a chunk failing past its retries goes to a dead-letter queue that an alarm watches."""
    resources = template["Resources"]
    queue, dead_letter = resources["ImportChunkQueue"], resources["ImportChunkDeadLetterQueue"]
    assert queue["Type"] == dead_letter["Type"] == "AWS::SQS::Queue"
    redrive = queue["Properties"]["RedrivePolicy"]
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": ["ImportChunkDeadLetterQueue", "Arn"]}
    assert 1 < redrive["maxReceiveCount"] <= 10

    worker = resources["ImportChunkWorker"]["Properties"]
    parameter = template["Parameters"]["ImportWorkerConcurrency"]
    assert parameter["Type"] == "Number" and parameter["MinValue"] >= 2
    assert worker["ReservedConcurrentExecutions"] == {"Ref": "ImportWorkerConcurrency"}
    (source,) = worker["Events"].values()
    assert source["Type"] == "SQS" and source["Properties"]["BatchSize"] == 1
    assert source["Properties"]["Queue"] == {"Fn::GetAtt": ["ImportChunkQueue", "Arn"]}
    assert source["Properties"]["ScalingConfig"]["MaximumConcurrency"] == {"Ref": "ImportWorkerConcurrency"}
    # A chunk still being worked on must not be delivered to a second worker.
    assert queue["Properties"]["VisibilityTimeout"] > worker["Timeout"]
    # The worker gives a chunk up (reports its lines) on the delivery the queue says is its last.
    assert worker["Environment"]["Variables"]["LOYALTY_IMPORT_MAX_RECEIVES"] == str(redrive["maxReceiveCount"])
    assert worker["Environment"]["Variables"]["LOYALTY_TABLE"] == f"loyalty-{STAGE}"
    planner = resources["ImportUploadedFile"]["Properties"]["Environment"]["Variables"]
    assert planner["LOYALTY_IMPORT_QUEUE_URL"] == {"Ref": "ImportChunkQueue"}
    assert planner["LOYALTY_TABLE"] == f"loyalty-{STAGE}"

    alarms = _of_type(template, "AWS::CloudWatch::Alarm")
    by_metric = {(ns, name, json.dumps(dims, sort_keys=True)): alarm for alarm in alarms.values()
                 for ns, name, dims, _ in _alarm_metrics(alarm)}
    depth = by_metric[("AWS/SQS", "ApproximateNumberOfMessagesVisible",
                       json.dumps({"QueueName": {"Fn::GetAtt": ["ImportChunkDeadLetterQueue", "QueueName"]}}))]
    assert (depth["Properties"]["ComparisonOperator"], depth["Properties"]["Threshold"]) == ("GreaterThanThreshold", 0)
    age = by_metric[("AWS/SQS", "ApproximateAgeOfOldestMessage",
                     json.dumps({"QueueName": {"Fn::GetAtt": ["ImportChunkQueue", "QueueName"]}}))]
    assert age["Properties"]["Threshold"] == {"Ref": "ImportOldestChunkAgeSeconds"}

    policy = json.loads((ROOT / ".chalice" / f"policy-{STAGE}.json").read_text())
    sqs = [s for s in policy["Statement"] if s["Resource"] == f"arn:aws:sqs:*:*:loyalty-{STAGE}-import-chunks"]
    assert sqs and {"sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage"} <= set(sqs[0]["Action"])
