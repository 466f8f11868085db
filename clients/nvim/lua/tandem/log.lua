-- tandem/log.lua: an optional trace of the bridge traffic, for debugging and for tests: written
-- to $TANDEM_NVIM_LOG (or setup's `log`) when set, and nowhere otherwise.
local M = { path = nil }

function M.set(path)
  M.path = path
end

function M.write(line)
  local path = M.path or vim.env.TANDEM_NVIM_LOG
  if not path or path == "" then
    return
  end
  -- Links and join requests carry tokens; a log never does.
  line = line:gsub("token=[^\"&]*", "token=<redacted>"):gsub('"token":"[^"]*"', '"token":"<redacted>"')
  local f = io.open(path, "a")
  if f then
    f:write(os.date("%H:%M:%S "), line, "\n")
    f:close()
  end
end

return M
