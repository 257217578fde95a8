-- What every POST scenario sets: the method, its path, the caller's bearer
-- token (AGORA_TOKEN) and a JSON body. The scenarios beside it load it with
-- dofile and call it once.
return function(path, body)
  wrk.method = "POST"
  wrk.path = path
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("AGORA_TOKEN")
  wrk.headers["Content-Type"] = "application/json"
  wrk.body = body
end
