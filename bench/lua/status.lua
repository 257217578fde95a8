-- GET /status with a bearer token read from the environment.
local token = os.getenv("AGORA_TOKEN")
wrk.method = "GET"
wrk.path = "/status"
wrk.headers["Authorization"] = "Bearer " .. token
