-- POST BENCH_BODY with GUESS replaced by a new number on every request: a password spray over user names
-- nobody has, each of which costs a (dummy) password verification unless the source is already locked out.
local counter = 1
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  sent = 0
  body = os.getenv("BENCH_BODY")
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end

function request()
  sent = sent + 1
  return wrk.format(nil, nil, nil, (string.gsub(body, "GUESS", id .. "x" .. sent)))
end
