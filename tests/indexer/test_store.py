"""Index files: what is saved loads back to the same answers, and nothing foreign loads."""
import json

import numpy as np
import pytest
from click.testing import CliRunner

from indexer import store
from indexer.cli import main

QUESTIONS = ["Who pays my invoices?", "연결 요청 상태가 만료됨이면?", "如何提交工單？", "Wo sind meine Bankdaten?"]


def test_saved_index_answers_like_the_original(retriever, built_index):
    loaded = store.load(built_index)
    assert loaded.version == retriever.version
    for question in QUESTIONS:
        a, b = retriever.ask(question), loaded.ask(question)
        assert (a.answered, a.article_id, a.lang) == (b.answered, b.article_id, b.lang)
        np.testing.assert_allclose(
            [c.confidence for c in a.candidates], [c.confidence for c in b.candidates], atol=1e-9
        )


def test_index_files_hold_no_pickles(built_index):
    for path in built_index.glob("*.npy"):
        np.load(path, allow_pickle=False)
    for path in built_index.glob("*.npz"):
        with np.load(path, allow_pickle=False) as archive:
            assert all(archive[key].dtype != object for key in archive.files)


def test_a_foreign_or_stale_index_is_refused(built_index, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(built_index, copy)
    params = json.loads((copy / "params.index.json").read_text())
    params["format_version"] = 999
    (copy / "params.index.json").write_text(json.dumps(params))
    with pytest.raises(store.IndexFormatError, match=f"not a procuree-index v{store.FORMAT_VERSION}"):
        store.load(copy)
    params["format_version"] = store.FORMAT_VERSION
    params["content_hash"] = "000000000000"
    (copy / "params.index.json").write_text(json.dumps(params))
    with pytest.raises(store.IndexFormatError, match="content hash"):
        store.load(copy)
    with pytest.raises(store.IndexFormatError, match="no readable params"):
        store.load(tmp_path / "nowhere")


def test_cli_build_then_eval(tmp_path):
    out = tmp_path / "index"
    result = CliRunner().invoke(main, ["build", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "built 32 articles, 6 languages" in result.output
    assert store.load(out).articles
    question_set = tmp_path / "set.yaml"
    question_set.write_text(
        "items:\n- {lang: en, q: 'How do I add a user to my CSP account?', expect: csp-add-user}\n"
        "- {lang: fr, q: 'Quelle est la capitale du Pérou ?', expect: null}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["eval", "--set", str(question_set), "--show-misses"])
    assert result.exit_code == 0, result.output
    assert "hit@1=1.000" in result.output and "ood_escalated=1.000" in result.output and "n=2" in result.output


def test_serving_a_built_index_never_imports_scikit_learn(built_index):
    """scikit-learn (~1.2 s of a start) builds indexes; loading one and answering from it must not need it."""
    import subprocess
    import sys

    code = ("import sys; from indexer import store; r = store.load(sys.argv[1]); "
            "assert r.ask('Who pays my invoices?').article_id == 'csp-who-pays'; "
            "print(sorted(m for m in sys.modules if m == 'sklearn' or m.startswith('sklearn.')))")
    result = subprocess.run([sys.executable, "-c", code, str(built_index)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]"
