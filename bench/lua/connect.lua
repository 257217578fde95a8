-- POST /connect on the public chat, asking for the last 20 messages.
local token = os.getenv("AGORA_TOKEN")
wrk.method = "POST"
wrk.path = "/connect"
wrk.headers["Authorization"] = "Bearer " .. token
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"chat_with": "public_chat", "messages_number": 20}'
