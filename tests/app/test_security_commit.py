"""Issue 17 item 7: a staged upload commits exactly once (concurrent commits: one 201, others 409)."""

import io
import threading
from pathlib import Path

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "uploads"
TOKEN = "tok-commit-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _stage(app):
    data = (FIX / "review_2020_communes.csv").read_bytes()
    form = {"file": (io.BytesIO(data), "u.csv"), "year": "2020", "standard": "2016-2020"}
    resp = app.test_client().post("/api/uploads", data=form, headers=AUTH, content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["id"]


def test_concurrent_commits_one_wins_the_others_get_409(state, monkeypatch):
    from app import create_app
    from geo.uploads import ingest, versions

    app = create_app({"TESTING": True, "MAP_UPLOAD_TOKEN": TOKEN})
    sid = _stage(app)
    entered, release = threading.Event(), threading.Event()
    real = ingest.commit_preview

    def slow_commit(*args, **kwargs):
        entered.set()
        assert release.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(ingest, "commit_preview", slow_commit)
    results = {}

    def first():
        results["first"] = app.test_client().post(f"/api/uploads/{sid}/commit", headers=AUTH).status_code

    t = threading.Thread(target=first)
    t.start()
    assert entered.wait(30)
    # while the first commit is writing, two more arrive
    others = [app.test_client().post(f"/api/uploads/{sid}/commit", headers=AUTH) for _ in range(2)]
    release.set()
    t.join(60)
    assert results["first"] == 201
    assert [r.status_code for r in others] == [409, 409]
    assert "already" in others[0].get_json()["error"]
    with app.app_context():
        numbers = [v.number for v in versions.list_versions(app.extensions["kontum"].backend.versions)]
    assert len(numbers) == 1
    # afterwards the upload is gone
    assert app.test_client().post(f"/api/uploads/{sid}/commit", headers=AUTH).status_code == 404


def test_a_failed_commit_puts_the_upload_back(state, monkeypatch):
    from app import create_app
    from geo.uploads import ingest

    app = create_app({"TESTING": True, "MAP_UPLOAD_TOKEN": TOKEN})
    sid = _stage(app)
    real = ingest.commit_preview

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ingest, "commit_preview", full_disk)
    assert app.test_client().post(f"/api/uploads/{sid}/commit", headers=AUTH).status_code == 503
    monkeypatch.setattr(ingest, "commit_preview", real)
    assert app.test_client().post(f"/api/uploads/{sid}/commit", headers=AUTH).status_code == 201
    assert sorted(p.name for p in (state / "staging").iterdir()) == []
