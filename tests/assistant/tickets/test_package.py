"""The ticket domain's modules import one way: each only those before it in ORDER (no circles)."""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[3] / "assistant" / "tickets"
ORDER = ["model", "lifecycle", "business_days", "attachments", "hooks", "webhooks", "outbox", "mail.messages",
         "mail.outgoing", "store", "mail.reading", "mail.replies", "mail.inbox", "mail.matching", "mail.incoming",
         "mail.smtp", "mail.imap"]


def ticket_imports(name: str) -> set[str]:
    """The modules of assistant.tickets that module ``name`` imports (relative or absolute)."""
    path = PACKAGE / (name.replace(".", "/") + ".py")
    here = ["assistant", "tickets", *name.split(".")[:-1]]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = here[:len(here) - node.level + 1] if node.level else []
            module = [*base, *(node.module.split(".") if node.module else [])]
            for alias in node.names:
                for candidate in (module + [alias.name], module):
                    dotted = ".".join(candidate[2:]) if candidate[:2] == ["assistant", "tickets"] else None
                    if dotted in ORDER:
                        found.add(dotted)
                        break
    return found


def test_every_module_of_the_package_is_in_the_order():
    modules = {str(p.relative_to(PACKAGE).with_suffix("")).replace("/", ".") for p in PACKAGE.rglob("*.py")}
    assert modules - {"__init__", "mail.__init__"} == set(ORDER)


@pytest.mark.parametrize("name", ORDER)
def test_a_module_imports_only_those_before_it(name):
    assert ticket_imports(name) <= set(ORDER[:ORDER.index(name)])
