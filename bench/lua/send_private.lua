-- POST /send, a private message to AGORA_PEER (private messages have no quota).
local token = os.getenv("AGORA_TOKEN")
local peer = os.getenv("AGORA_PEER")
wrk.method = "POST"
wrk.path = "/send"
wrk.headers["Authorization"] = "Bearer " .. token
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"message": "load test message", "send_to": "' .. peer .. '"}'
