"""A DynamoDB table export in the format ExportTableToPointInTime writes to S3 (DYNAMODB_JSON):
find one, check it, fetch it from S3, and write one from a Scan for local work.

An export is a folder ``<prefix>/AWSDynamoDB/<exportId>/`` holding ``manifest-summary.json``
(what was exported, when, in which format), ``manifest-files.json`` (one JSON line per data
file: ``itemCount``, ``md5Checksum``, ``etag``, ``dataFileS3Key``) and ``data/*.json.gz``, each a
gzipped file of lines ``{"Item": {"pk": {"S": "..."}, ...}}`` (docs/scale.md). Batch only:
nothing here is imported by ``chalicelib`` or ``app.py``; DuckDB reads the data files
(``batch/export_summaries.py``).
"""
from __future__ import annotations

import base64
import gzip
import hashlib
import json
import secrets
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional

EXPORT_FOLDER = "AWSDynamoDB"
SUMMARY = "manifest-summary.json"
FILES = "manifest-files.json"
FORMAT = "DYNAMODB_JSON"


class ExportProblem(Exception):
    """The export cannot be read: the message says what is wrong and where."""


@dataclass(frozen=True)
class Export:
    """A checked export on local disk."""

    folder: Path  # .../AWSDynamoDB/<exportId>
    summary: Dict[str, Any]
    data_files: List[Path]

    @property
    def export_time(self) -> datetime:
        """When the snapshot was taken (the table as of this moment)."""
        return datetime.fromisoformat(str(self.summary["exportTime"]).replace("Z", "+00:00"))

    @property
    def item_count(self) -> Optional[int]:
        count = self.summary.get("itemCount")
        return int(count) if count is not None else None


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------


def open_export(path: Path) -> Export:
    """The export at ``path``: its ``AWSDynamoDB/<exportId>`` folder, that folder's
    ``manifest-summary.json``, or the prefix folder above ``AWSDynamoDB`` holding one export."""
    folder = _export_folder(Path(path))
    summary = _read_json(folder / SUMMARY)
    output_format = summary.get("outputFormat")
    if output_format != FORMAT:
        raise ExportProblem(f"{folder / SUMMARY}: the export's outputFormat is {output_format!r}; "
                            f"only {FORMAT} is read (export again with --export-format {FORMAT})")
    files_key = str(summary.get("manifestFilesS3Key") or "")
    manifest = folder / FILES if not files_key else _local(folder, files_key)
    if not manifest.is_file():
        raise ExportProblem(f"{manifest}: missing (manifest-summary.json lists it as manifestFilesS3Key)")
    data_files = []
    for number, line in enumerate(manifest.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            key = json.loads(line)["dataFileS3Key"]
        except (ValueError, KeyError, TypeError):
            raise ExportProblem(f"{manifest}, line {number}: not a manifest line with a dataFileS3Key") from None
        data_file = _local(folder, str(key))
        if not data_file.is_file():
            raise ExportProblem(f"{data_file}: missing (listed on line {number} of {manifest.name})")
        data_files.append(data_file)
    return Export(folder, summary, data_files)


def _export_folder(path: Path) -> Path:
    if path.is_file() and path.name == SUMMARY:
        return path.parent
    if not path.exists():
        raise ExportProblem(f"{path}: no such file or folder")
    if (path / SUMMARY).is_file():
        return path
    found = sorted(summary.parent for summary in path.glob(f"{EXPORT_FOLDER}/*/{SUMMARY}"))
    if len(found) == 1:
        return found[0]
    if found:
        raise ExportProblem(f"{path} holds {len(found)} exports; name one: "
                            + ", ".join(str(folder) for folder in found))
    raise ExportProblem(f"{path}: no {SUMMARY} there nor in {EXPORT_FOLDER}/<exportId>/ below it "
                        "(not a DynamoDB export, or an unfinished one)")


def _local(folder: Path, key: str) -> Path:
    """Where an S3 key of the export is on disk."""
    return folder / _within(folder.name, key)


def _within(export_id: str, key: str) -> str:
    """An S3 key of the export (``[prefix/]AWSDynamoDB/<exportId>/...``) relative to the export's
    folder: an export moved or copied under another prefix is still read."""
    marker = f"{EXPORT_FOLDER}/{export_id}/"
    at = key.find(marker)
    return key[at + len(marker):] if at >= 0 else key


def _read_json(path: Path) -> Dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ExportProblem(f"{path}: missing (an export has one; is the export finished?)") from None
    except (OSError, ValueError) as error:
        raise ExportProblem(f"{path}: not readable JSON ({error})") from None
    if not isinstance(document, dict):
        raise ExportProblem(f"{path}: not a JSON object")
    return document


def download_export(url: str, into: Path, s3_client: Any = None) -> Path:
    """Download the export under ``s3://bucket/prefix`` (a prefix holding one export, or its
    ``AWSDynamoDB/<exportId>`` folder) into ``into``, keys kept; the local folder to open."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, _, prefix = url[len("s3://"):].partition("/")
    if not bucket:
        raise ExportProblem(f"{url}: not s3://bucket/prefix")
    s3 = s3_client or boto3.client("s3")
    try:
        summaries = [entry["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
                     for entry in page.get("Contents", []) if entry["Key"].endswith(f"/{SUMMARY}")]
        if not summaries:
            raise ExportProblem(f"{url}: no {SUMMARY} under this prefix (not a DynamoDB export, or unfinished)")
        if len(summaries) > 1:
            raise ExportProblem(f"{url} holds {len(summaries)} exports; name one: "
                                + ", ".join(f"s3://{bucket}/{key.rsplit('/', 1)[0]}" for key in summaries))
        folder_key = summaries[0].rsplit("/", 1)[0]
        export_id = folder_key.rsplit("/", 1)[-1]
        _fetch(s3, bucket, f"{folder_key}/{SUMMARY}", into)
        folder = into / folder_key
        summary = _read_json(folder / SUMMARY)
        files = _within(export_id, str(summary.get("manifestFilesS3Key") or FILES))
        _fetch(s3, bucket, f"{folder_key}/{files}", into)
        for line in (folder / files).read_text(encoding="utf-8").splitlines():
            if line.strip():
                try:
                    key = str(json.loads(line)["dataFileS3Key"])
                except (ValueError, KeyError, TypeError):
                    raise ExportProblem(f"s3://{bucket}/{folder_key}/{files}: not a manifest line: {line[:80]}") from None
                _fetch(s3, bucket, f"{folder_key}/{_within(export_id, key)}", into)
    except ClientError as error:
        raise ExportProblem(f"{url}: {error.response.get('Error', {}).get('Code', 'error')} "
                            f"({error.response.get('Error', {}).get('Message', '')})") from None
    except BotoCoreError as error:
        raise ExportProblem(f"{url}: {error}") from None
    return folder


def _fetch(s3: Any, bucket: str, key: str, into: Path) -> None:
    target = into / key
    target.parent.mkdir(parents=True, exist_ok=True)
    s3.download_file(bucket, key, str(target))


class LocalCopy:
    """``with LocalCopy(path_or_url) as folder``: the path itself, or an ``s3://`` export
    downloaded into a temporary folder removed afterwards."""

    def __init__(self, where: str, s3_client: Any = None) -> None:
        self.where, self.s3_client, self._temporary = where, s3_client, None

    def __enter__(self) -> Path:
        if not self.where.startswith("s3://"):
            return Path(self.where)
        self._temporary = tempfile.TemporaryDirectory(prefix="loyalty-export-")
        return download_export(self.where, Path(self._temporary.name), self.s3_client)

    def __exit__(self, *exc: object) -> None:
        if self._temporary is not None:
            self._temporary.cleanup()


# ---------------------------------------------------------------------------------------------
# Writing (a local table, for trying the export path without AWS)
# ---------------------------------------------------------------------------------------------


def new_export_id(now: datetime) -> str:
    """An id shaped like AWS's: epoch milliseconds and eight hex digits."""
    return f"{int(now.timestamp() * 1000):014d}-{secrets.token_hex(4)}"


class DataFileWriter:
    """One gzipped data file of an export, written item by item (nothing held in memory)."""

    def __init__(self, folder: Path, export_id: str) -> None:
        self.key = f"{EXPORT_FOLDER}/{export_id}/data/{secrets.token_hex(13)}.json.gz"
        self.path = folder / "data" / self.key.rsplit("/", 1)[1]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = gzip.open(self.path, "wt", encoding="utf-8")
        self.item_count = 0

    def write(self, items: Iterable[Mapping[str, Any]]) -> None:
        for item in items:
            self._file.write(json.dumps({"Item": _exportable(item)}, separators=(",", ":")) + "\n")
            self.item_count += 1

    def close(self) -> Dict[str, Any]:
        """Close the file; its line of ``manifest-files.json``."""
        self._file.close()
        digest = hashlib.md5(self.path.read_bytes())  # noqa: S324 (a checksum, as AWS writes)
        return {"itemCount": self.item_count, "md5Checksum": base64.b64encode(digest.digest()).decode(),
                "etag": digest.hexdigest(), "dataFileS3Key": self.key}


def _exportable(value: Any) -> Any:
    """DynamoDB JSON as the low-level client returns it, with binary values in base64 (as an
    export writes them)."""
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, Mapping):
        return {key: _exportable(inner) for key, inner in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_exportable(inner) for inner in value]
    return value


def write_manifests(folder: Path, export_id: str, table: Mapping[str, str], files: List[Dict[str, Any]],
                    started: datetime, ended: datetime) -> Dict[str, Any]:
    """``manifest-files.json``, ``manifest-summary.json`` and their checksums, as AWS writes
    them; the summary. ``s3Bucket`` is null: the export was written to local disk."""
    lines = "".join(json.dumps(entry, separators=(",", ":")) + "\n" for entry in files)
    (folder / FILES).write_text(lines, encoding="utf-8")
    summary = {
        "version": "2020-06-30",
        "exportArn": f"{table['arn']}/export/{export_id}",
        "startTime": _stamp(started),
        "endTime": _stamp(ended),
        "tableArn": table["arn"],
        "tableId": table.get("id", ""),
        "exportTime": _stamp(started),
        "s3Bucket": None,
        "s3Prefix": None,
        "s3SseAlgorithm": "AES256",
        "s3SseKmsKeyId": None,
        "manifestFilesS3Key": f"{EXPORT_FOLDER}/{export_id}/{FILES}",
        "billedSizeBytes": sum(_local(folder, entry["dataFileS3Key"]).stat().st_size for entry in files),
        "itemCount": sum(entry["itemCount"] for entry in files),
        "outputFormat": FORMAT,
        "exportType": "FULL_EXPORT",
    }
    (folder / SUMMARY).write_text(json.dumps(summary, indent=1), encoding="utf-8")
    for name in (SUMMARY, FILES):
        checksum = hashlib.md5((folder / name).read_bytes()).hexdigest()  # noqa: S324
        (folder / name.replace(".json", ".checksum")).write_text(checksum, encoding="utf-8")
    return summary


def _stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def as_of_day(export: Export) -> date:
    """The day the fit measures customers' ages to: the snapshot's own UTC day."""
    return export.export_time.astimezone(timezone.utc).date()
