"""The benchmark ceiling endpoint exists only when asked for."""


def test_bench_endpoints_absent_by_default(client):
    assert client.post("/_bench/insert").status_code == 404


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
