-- POST /send to the public chat; run the server with a quota large enough.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local post = dofile(here .. "post.lua")
post("/send", '{"message": "load test message"}')
