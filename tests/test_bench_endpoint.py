"""The benchmark ceiling endpoint exists only when asked for."""

import re


def test_bench_endpoints_absent_by_default(client):
    assert client.post("/_bench/insert").status_code == 404


def test_bench_responses_say_their_time_in_the_server(make_app, client):
    assert "Server-Timing" not in client.get("/").headers
    response = make_app(BENCH_ENDPOINTS=True).test_client().get("/_bench/ok")
    assert re.fullmatch(r"app;dur=\d+\.\d, cpu;dur=\d+\.\d", response.headers["Server-Timing"])


def test_bench_insert_commits_a_row(make_app):
    from sqlalchemy import text

    from meetup.extensions import db

    app = make_app(BENCH_ENDPOINTS=True)
    client = app.test_client()
    assert client.post("/_bench/insert").get_json() == {"status": "ok"}
    with app.app_context():
        assert db.session.execute(text("SELECT count(*) FROM bench_ping")).scalar() == 1
        db.session.execute(text("DROP TABLE bench_ping"))
        db.session.commit()


def test_workers_booting_at_once_all_get_the_table(make_app):
    """Each gunicorn worker creates the table as it boots; on PostgreSQL a concurrent
    CREATE TABLE IF NOT EXISTS failed one of them and stopped the server."""
    import threading

    from sqlalchemy import text

    from meetup.extensions import db
    from meetup.views import bench

    app = make_app(BENCH_ENDPOINTS=True)
    errors: list[Exception] = []

    def boot(barrier: threading.Barrier) -> None:
        with app.app_context(), db.engine.connect():  # connected before the barrier
            barrier.wait()
            try:
                bench.create_table()
            except Exception as exc:  # what a failed worker boot raises
                errors.append(exc)

    for _ in range(10):  # the race is narrow: several rounds
        with app.app_context():
            db.session.execute(text("DROP TABLE IF EXISTS bench_ping"))
            db.session.commit()
        barrier = threading.Barrier(4)
        threads = [threading.Thread(target=boot, args=(barrier,)) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    with app.app_context():
        assert db.session.execute(text("SELECT count(*) FROM bench_ping")).scalar() == 0
        db.session.execute(text("DROP TABLE bench_ping"))
        db.session.commit()
