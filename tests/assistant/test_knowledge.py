"""The knowledge holder: its watcher never keeps a holder (and its mapped index files) alive."""
import gc
import time
import weakref

from assistant import create_app


def test_apps_that_are_gone_free_their_knowledge_and_index_files(tmp_path, built_index):
    """Each loaded index maps dozens of array files, each holding a descriptor: a watcher thread
    that held its holder for ever would leak them with every app (every test) until the process
    ran out of descriptors.  (The module-level rate limiter keeps the latest app: the first is checked.)"""
    def make(name: str):
        return create_app({"INSTANCE": str(tmp_path / name), "INDEX": str(built_index), "TESTING": True,
                           "BACKGROUND_WORKER": False, "RELOAD_POLL_SECONDS": 0.05})

    first = make("first")
    holder = weakref.ref(first.extensions["knowledge"])
    first.extensions["db"].dispose()
    del first
    second = make("second")
    deadline = time.monotonic() + 120  # the watcher may be inside a check, holding it for that moment
    while holder() is not None and time.monotonic() < deadline:
        gc.collect()
        time.sleep(0.05)
    assert holder() is None
    second.extensions["db"].dispose()
