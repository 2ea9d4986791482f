"""The YAML folder stays first-class: export what is served, validate the export, import a folder with its history."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from assistant.editors import history
from assistant.knowledge_cli import knowledge_group
from tests.assistant.support import answered
from tests.conftest import DATA, KNOWLEDGE, ROOT

NEW = "Where can I read the supplier code of conduct?"


def knowledge(app, *args: str):
    return app.test_cli_runner().invoke(knowledge_group, list(args))


def test_an_export_validates_and_reads_back_as_the_articles_served(replicas, tmp_path):
    first, _ = replicas
    out = tmp_path / "export"
    result = knowledge(first, "export", str(out))
    assert result.exit_code == 0, result.output
    served = first.extensions["knowledge"].current().retriever.articles
    assert sorted(p.stem for p in out.glob("*.yaml")) == sorted(served)
    exported = yaml.safe_load((out / "csp-2fa-disable.yaml").read_text(encoding="utf-8"))
    assert exported["translations"]["ko"]["body"] == served["csp-2fa-disable"].translations["ko"].body
    validated = subprocess.run([sys.executable, "-m", "indexer", "validate", str(out)], capture_output=True, text=True,
                               cwd=ROOT, timeout=300)
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert validated.stdout.strip().splitlines()[-1].startswith(f"OK: {len(served)} articles x 6 languages")


def test_an_export_never_mixes_into_an_older_one(replicas, tmp_path):
    out = tmp_path / "export"
    out.mkdir()
    (out / "removed-long-ago.yaml").write_text("id: removed-long-ago\n", encoding="utf-8")
    refused = knowledge(replicas[0], "export", str(out))
    assert refused.exit_code != 0 and "--replace" in refused.output
    assert knowledge(replicas[0], "export", str(out), "--replace").exit_code == 0
    assert not (out / "removed-long-ago.yaml").exists() and (out / "csp-2fa-disable.yaml").exists()


def test_an_import_publishes_only_what_changed_and_every_replica_serves_it(replicas, tmp_path):
    first, second = replicas
    folder = Path(shutil.copytree(KNOWLEDGE, tmp_path / "team-knowledge"))
    shutil.copy(DATA / "supplier-code-of-conduct.yaml", folder)
    (folder / "coupa-training-materials.yaml").unlink()
    changed = yaml.safe_load((folder / "csp-2fa-disable.yaml").read_text(encoding="utf-8"))
    changed["translations"]["en"]["body"] += "\nAsk your administrator if the option is greyed out.\n"
    (folder / "csp-2fa-disable.yaml").write_text(yaml.safe_dump(changed, allow_unicode=True), encoding="utf-8")
    before = first.extensions["knowledge"].current().version

    result = knowledge(first, "import", str(folder), "--by", "content team", "--note", "from git")
    assert result.exit_code == 0, result.output
    assert "3 article(s) changed (1 added, 1 removed)" in result.output
    assert answered(second, NEW) == "supplier-code-of-conduct"
    served = second.extensions["knowledge"].current()
    assert served.version != before and "coupa-training-materials" not in served.retriever.articles
    assert "greyed out" in served.retriever.articles["csp-2fa-disable"].translations["en"].body
    latest = history.revisions(first.extensions["db"], "csp-2fa-disable")[0]
    assert (latest.action, latest.by, latest.note) == ("import", "content team", "from git")
    assert history.revisions(first.extensions["db"], "csp-add-user") == []  # unchanged: no revision

    again = knowledge(first, "import", str(folder))
    assert again.exit_code == 0 and "nothing to import" in again.output


def test_a_folder_with_a_problem_imports_nothing(replicas, tmp_path):
    first, _ = replicas
    folder = Path(shutil.copytree(KNOWLEDGE, tmp_path / "broken"))
    shutil.copy(DATA / "supplier-code-of-conduct.yaml", folder)
    (folder / "csp-2fa-disable.yaml").write_text("id: csp-2fa-disable\ntranslations: [not, a, mapping\n",
                                                 encoding="utf-8")
    before = first.extensions["knowledge"].current().version
    result = knowledge(first, "import", str(folder))
    assert result.exit_code != 0 and "nothing was imported" in result.output
    assert "csp-2fa-disable.yaml" in result.output
    first.extensions["knowledge"].reload_if_changed()
    assert first.extensions["knowledge"].current().version == before
    assert answered(first, NEW) != "supplier-code-of-conduct"


def test_the_operators_command_exports_the_folder_it_serves(instance, built_index, tmp_path):
    """As an operator runs it: a fresh process whose command group loads no knowledge until export asks for it."""
    out = tmp_path / "export"
    env = {**os.environ, "ASSISTANT_INSTANCE": str(instance), "ASSISTANT_INDEX": str(built_index)}
    done = subprocess.run([sys.executable, "-m", "assistant", "knowledge", "export", str(out)], capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert len(list(out.glob("*.yaml"))) == len(list(KNOWLEDGE.glob("*.yaml")))
