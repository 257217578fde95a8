-- POST /connect on the public chat, asking for the last 20 messages.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local post = dofile(here .. "post.lua")
post("/connect", '{"chat_with": "public_chat", "messages_number": 20}')
