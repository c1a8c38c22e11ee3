-- POST the form in BENCH_BODY (application/x-www-form-urlencoded) on every request, over keep-alive.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = os.getenv("BENCH_BODY")
