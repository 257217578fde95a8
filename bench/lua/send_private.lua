-- POST /send, a private message to AGORA_PEER (private messages have no quota).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local post = dofile(here .. "post.lua")
local peer = os.getenv("AGORA_PEER")
post("/send", '{"message": "load test message", "send_to": "' .. peer .. '"}')
