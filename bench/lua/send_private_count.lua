-- send_private.lua, stopping after SENDS responses (default 4000), for a
-- count whose cost depends on how much is stored (bench/writer_callgrind.sh:
-- the search index's merges grow with it). One wrk thread (-t1).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "send_private.lua")
local limit = tonumber(os.getenv("SENDS") or "4000")
local done = 0
function response()
  done = done + 1
  if done >= limit then
    wrk.thread:stop()
  end
end
