"""chalicelib/api/openapi.json is generated from the declared shapes, the route table and auth.py
(devtools/openapi.py); a change to any of them without `make openapi` fails here."""
from devtools import openapi
from chalicelib.api.openapi import DOCUMENT_PATH


def test_the_committed_document_is_the_generated_one():
    generated = openapi.render(openapi.document())
    assert DOCUMENT_PATH.read_text(encoding="utf-8") == generated, (
        "chalicelib/api/openapi.json differs from what the declarations say: run `make openapi` and commit it")


def test_the_lambda_never_imports_the_generator_or_the_response_declarations():
    """Neither devtools nor the chalicelib.api.answers package or any of its modules."""
    import subprocess
    import sys

    script = ("import sys, app; from chalicelib.api import parsing; "
              "print(sorted(m for m in sys.modules if m.startswith(('devtools', 'chalicelib.api.answers'))))")
    loaded = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


def test_every_module_of_the_answers_package_feeds_the_document():
    import pkgutil

    from chalicelib.api import answers

    listed = [module.__name__ for module in openapi.answer_modules()]
    assert sorted(listed) == sorted(f"chalicelib.api.answers.{info.name}" for info in pkgutil.iter_modules(answers.__path__))
    assert all(openapi.structs(module) for module in openapi.answer_modules())
