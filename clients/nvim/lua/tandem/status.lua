-- tandem/status.lua: the connection as one short string for a statusline, also published as
-- g:tandem_status (and g:tandem_state, the bare state) for scripts and tests.
local M = {
  room = nil,
  state = nil, -- connecting | synced | reconnecting | closed
  read_only = false,
  reason = nil,
  people = 0,
}

local icons = { connecting = "○", synced = "●", reconnecting = "◌", closed = "✕" }

function M.text()
  if not M.room then
    return ""
  end
  local state = M.state or "connecting"
  local s = ("Tandem: %s %s %s"):format(M.room, icons[state] or "?", state)
  if state == "synced" then
    s = s .. (" (%d)"):format(M.people)
  end
  if M.read_only then
    s = s .. " read-only"
  end
  if state == "closed" and M.reason then
    s = s .. ": " .. M.reason
  end
  return s
end

-- Updates some fields and republishes.
function M.set(fields)
  for k, v in pairs(fields) do
    if v == vim.NIL then
      v = nil
    end
    M[k] = v
  end
  vim.g.tandem_status = M.text()
  vim.g.tandem_state = M.state or ""
  pcall(vim.cmd, "redrawstatus")
end

function M.reset()
  M.room, M.state, M.read_only, M.reason, M.people = nil, nil, false, nil, 0
  M.set({})
end

return M
