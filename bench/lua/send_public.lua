-- POST /send to the public chat; run the server with a quota large enough.
local token = os.getenv("AGORA_TOKEN")
wrk.method = "POST"
wrk.path = "/send"
wrk.headers["Authorization"] = "Bearer " .. token
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"message": "load test message"}'
