-- POST /send to the public chat with a message of twelve words (what the
-- search index takes apart); run the server with a quota large enough.
local token = os.getenv("AGORA_TOKEN")
wrk.method = "POST"
wrk.path = "/send"
wrk.headers["Authorization"] = "Bearer " .. token
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"message": "Deployed the new café menu to staging, please check the prices before lunch"}'
