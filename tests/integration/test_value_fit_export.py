"""``fit-value-model --from-export``: the fit reads a DynamoDB export (the format AWS's export to
S3 writes, here written from the table by ``export-table``) with DuckDB instead of scanning the
table, and gives the Scan path's parameters. A file that cannot be read is a one-line error."""
import gzip
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from chalicelib.cli import cli

from .test_value_fit_cli import rules_version, write_customers  # noqa: F401 (rules_version: a fixture)

PARAMETERS = (("bgnbd", ("r", "alpha", "a", "b")), ("gamma_gamma", ("p", "q", "gamma")))


def run(*args):
    result = CliRunner().invoke(cli, list(args))
    return result


def answer_of(result):
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout[result.stdout.index("{\n"):])


def parameters(model):
    return {f"{part}.{name}": model[part][name] for part, names in PARAMETERS for name in names}


@pytest.fixture
def exported(table, tmp_path):
    """A table of 300 customers with other items beside their purchase days (a profile, a
    cancelled day, a day after today), exported to a folder; the export's folder."""
    from chalicelib.store.models import DAY_PREFIX, ProfileItem, PurchaseDayItem, customer_pk

    write_customers(300)
    ProfileItem(customer_pk("c1"), "PROFILE", customer_id="c1").save()
    PurchaseDayItem(customer_pk("cancelled"), DAY_PREFIX + "2001-01-01", customer_id="cancelled", day="2001-01-01",
                    orders=0, net_spend=0).save()  # every order of that day cancelled: no purchase
    PurchaseDayItem(customer_pk("skewed"), DAY_PREFIX + "2999-01-01", customer_id="skewed", day="2999-01-01",
                    orders=1, net_spend=-50).save()  # clock skew: today's purchase, never below 0
    result = run("export-table", str(tmp_path / "exports"), "--segments", "3", "--json")
    summary = answer_of(result)
    assert result.stderr.startswith("loyalty: ")  # the target named first
    return Path(summary["folder"])


def test_an_export_of_the_table_is_in_the_format_dynamodb_writes(exported):
    assert exported.parent.name == "AWSDynamoDB" and (exported / "_started").exists()
    summary = json.loads((exported / "manifest-summary.json").read_text())
    assert summary["outputFormat"] == "DYNAMODB_JSON" and summary["exportType"] == "FULL_EXPORT"
    assert summary["manifestFilesS3Key"] == f"AWSDynamoDB/{exported.name}/manifest-files.json"
    entries = [json.loads(line) for line in (exported / "manifest-files.json").read_text().splitlines()]
    assert len(entries) == 3 and sum(entry["itemCount"] for entry in entries) == summary["itemCount"] > 300
    lines = [json.loads(line) for entry in entries
             for line in gzip.open(exported / entry["dataFileS3Key"].split(f"{exported.name}/")[1], "rt")]
    assert len(lines) == summary["itemCount"]
    day = next(line["Item"] for line in lines if line["Item"]["sk"]["S"].startswith("DAY#"))
    assert day["pk"]["S"].startswith("CUSTOMER#") and day["item_type"] == {"S": "purchase_day"}
    assert set(day["orders"]) == {"N"}


def test_the_fit_from_an_export_gives_the_scan_paths_parameters(exported):
    scanned = answer_of(run("fit-value-model", "--dry-run", "--json"))
    from_export = run("fit-value-model", "--dry-run", "--json", "--from-export", str(exported.parent.parent))
    read = answer_of(from_export)
    assert read["customers"] == scanned["customers"] == 301  # a skewed day is a purchase, a cancelled one is not
    assert parameters(read["model"]) == parameters(scanned["model"])  # rounded to 6 significant figures
    assert read["model"]["sample_size"] == scanned["model"]["sample_size"]
    assert read["export"]["items"] > 300 and read["export"]["data_files"] == 3 and "scan" not in read
    assert from_export.stderr.startswith("loyalty: ") and "read export arn:" in from_export.stderr


def test_the_fit_reads_an_export_in_s3_and_stores_it(exported, rules_version):
    import boto3

    s3 = boto3.client("s3", region_name="eu-west-2")
    s3.create_bucket(Bucket="exports", CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    for path in exported.rglob("*"):
        if path.is_file():
            s3.upload_file(str(path), "exports", f"loyalty/{path.relative_to(exported.parent.parent).as_posix()}")
    result = run("fit-value-model", "--json", "--from-export", "s3://exports/loyalty")
    answer = answer_of(result)
    assert answer["stored"] is True and answer["customers"] == 301 and rules_version() == 1
    assert answer["export"]["path"] == "s3://exports/loyalty"

    missing = run("fit-value-model", "--from-export", "s3://exports/elsewhere")
    assert missing.exit_code == 2 and "no manifest-summary.json under this prefix" in missing.stderr


def test_per_customer_summaries_are_fitted_as_the_export_is(exported, tmp_path):
    from batch.dynamodb_export import as_of_day, open_export
    from batch.export_summaries import summary_rows, write_summaries_csv

    export = open_export(exported)
    write_summaries_csv(summary_rows(export, as_of_day(export)), tmp_path / "summaries.csv")
    from_export = answer_of(run("fit-value-model", "--dry-run", "--json", "--from-export", str(exported)))
    from_summaries = answer_of(run("fit-value-model", "--dry-run", "--json", "--from-summaries",
                                   str(tmp_path / "summaries.csv")))
    assert parameters(from_summaries["model"]) == parameters(from_export["model"])
    assert from_summaries["summaries"]["rows"] == 301


def damage_first_data_file(export: Path, content: bytes, compress: bool = True) -> None:
    entry = json.loads((export / "manifest-files.json").read_text().splitlines()[0])
    data_file = export / "data" / entry["dataFileS3Key"].rsplit("/", 1)[1]
    data_file.write_bytes(gzip.compress(content) if compress else content)


@pytest.mark.parametrize("damage, message", [
    (lambda export: (export / "manifest-summary.json").unlink(), "no manifest-summary.json there"),
    (lambda export: (export / "manifest-files.json").unlink(), "manifest-files.json: missing"),
    (lambda export: damage_first_data_file(export, b'{"Item": {"pk": {"S": "x"}}}\n{"Item": {"pk": \n'),
     "a data file cannot be read (Invalid Input Error: Malformed JSON"),
    (lambda export: damage_first_data_file(export, b"\x1f\x8b\x08\x00 cut short", compress=False),
     "a data file cannot be read"),
    (lambda export: (export / "manifest-summary.json").write_text(json.dumps(
        {**json.loads((export / "manifest-summary.json").read_text()), "outputFormat": "ION"})),
     "the export's outputFormat is 'ION'; only DYNAMODB_JSON is read"),
    (lambda export: (export / "manifest-summary.json").write_text("{not json"), "not readable JSON"),
], ids=["no-summary-manifest", "no-files-manifest", "corrupt-line", "cut-gzip", "ion-format", "summary-not-json"])
def test_an_export_that_cannot_be_read_is_a_clear_error_without_a_traceback(exported, damage, message):
    damage(exported)
    result = run("fit-value-model", "--dry-run", "--from-export", str(exported))
    assert result.exit_code == 2, result.output
    assert message in result.stderr and "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)


def test_a_summaries_file_with_a_bad_row_names_its_line(table, tmp_path):
    bad = tmp_path / "summaries.csv"
    bad.write_text("customer_id,first_purchase_day,last_purchase_day,purchase_days,total_spend,first_day_spend,"
                   "as_of\nc1,2026-01-01,2026-02-01,2,900,500,2026-12-01\nc2,2026-03-01,2026-01-01,2,1,1,2026-12-01\n")
    result = run("fit-value-model", "--dry-run", "--from-summaries", str(bad))
    assert result.exit_code == 2 and "summaries.csv, line 3: need first <= last purchase day" in result.stderr


def test_the_summaries_statement_in_docs_scale_is_the_one_duckdb_runs():
    from batch.export_summaries import SUMMARY_SQL

    docs = (Path(__file__).resolve().parents[2] / "docs" / "scale.md").read_text(encoding="utf-8")
    assert SUMMARY_SQL.format(as_of="2026-12-04") in docs


def test_a_file_that_is_no_summaries_is_a_clear_error(table, tmp_path):
    for content, message in ((b"\xff\xfe\x00binary", "not a CSV file of summaries"),
                             (b"customer_id,day\nc1,2026-01-01\n", "the header lacks first_purchase_day")):
        path = tmp_path / "summaries.csv"
        path.write_bytes(content)
        result = run("fit-value-model", "--dry-run", "--from-summaries", str(path))
        assert result.exit_code == 2 and message in result.stderr, result.output


def test_the_lambda_and_the_cli_load_neither_duckdb_nor_the_batch_package():
    import subprocess
    import sys

    code = ("import sys, app, chalicelib.cli; "
            "print(sorted(m for m in ('duckdb', 'numpy', 'scipy', 'batch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip().splitlines()[-1] == "[]"
