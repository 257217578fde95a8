-- POST /send to the public chat with a message of twelve words (what the
-- search index takes apart); run the server with a quota large enough.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local post = dofile(here .. "post.lua")
post("/send", '{"message": "Deployed the new café menu to staging, please check the prices before lunch"}')
