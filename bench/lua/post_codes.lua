-- POST a new authorization code on every request: BENCH_BODY with CODE replaced by the next line of the file
-- BENCH_CODES; wrk thread k of BENCH_THREADS takes lines k, k + n, ... (a code redeems once).
local counter = 1
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  codes = {}
  local n = tonumber(os.getenv("BENCH_THREADS"))
  local i = 0
  for line in io.lines(os.getenv("BENCH_CODES")) do
    if i % n == id - 1 then
      table.insert(codes, line)
    end
    i = i + 1
  end
  nextcode = 1
  body = os.getenv("BENCH_BODY")
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end

function request()
  local code = codes[nextcode] or "spent"
  nextcode = nextcode + 1
  return wrk.format(nil, nil, nil, (string.gsub(body, "CODE", code)))
end
