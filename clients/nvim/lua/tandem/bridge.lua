-- tandem/bridge.lua: the tandem-bridge process and the newline-delimited JSON spoken over its
-- stdin/stdout (clients/bridge/PROTOCOL.md). Knows nothing about rooms or buffers.
local log = require("tandem.log")

local M = {}
M.__index = M

-- A decoded JSON value with null (vim.NIL) as nil.
function M.nz(v)
  if v == vim.NIL then
    return nil
  end
  return v
end

-- The command to start: setup's `bridge` if given, else $TANDEM_BRIDGE, else `tandem-bridge`.
function M.command(configured)
  if configured then
    return type(configured) == "string" and { configured } or configured
  end
  local env = vim.env.TANDEM_BRIDGE
  if env and env ~= "" then
    return { env }
  end
  return { "tandem-bridge" }
end

-- Starts `cmd`; `on_message(msg)` gets every decoded line, `on_exit(code)` the end.
function M.start(cmd, on_message, on_exit)
  if vim.fn.executable(cmd[1]) ~= 1 then
    return nil, ("%s is not executable (set TANDEM_BRIDGE or setup{ bridge = {...} })"):format(cmd[1])
  end
  local self = setmetatable({ partial = "", stderr = {} }, M)
  local ok, job = pcall(vim.fn.jobstart, cmd, {
    -- on_stdout hands over chunks: the first item continues the previous chunk's last line and
    -- the last item is an unfinished line (or "" right after a newline).
    on_stdout = function(_, data)
      self:_receive(data, on_message)
    end,
    on_stderr = function(_, data)
      for _, line in ipairs(data) do
        if line ~= "" then
          log.write("bridge: " .. line)
          table.insert(self.stderr, line)
          if #self.stderr > 200 then
            table.remove(self.stderr, 1)
          end
        end
      end
    end,
    on_exit = function(_, code)
      self.job = nil
      on_exit(code)
    end,
    stdout_buffered = false,
    stderr_buffered = false,
  })
  if not ok or job <= 0 then
    return nil, ("could not start %s (%s)"):format(table.concat(cmd, " "), tostring(job))
  end
  self.job = job
  return self
end

function M:_receive(data, on_message)
  local lines = {}
  self.partial = self.partial .. data[1]
  for i = 2, #data do
    table.insert(lines, self.partial)
    self.partial = data[i]
  end
  for _, line in ipairs(lines) do
    if line ~= "" then
      log.write("<- " .. line)
      local ok, msg = pcall(vim.json.decode, line)
      if ok and type(msg) == "table" then
        local handled, err = pcall(on_message, msg)
        if not handled then
          log.write("error handling " .. line .. ": " .. tostring(err))
          vim.notify("Tandem: " .. tostring(err), vim.log.levels.ERROR)
        end
      else
        log.write("not JSON from the bridge: " .. line)
      end
    end
  end
end

-- Sends one message; false when the process is gone.
function M:send(msg)
  if not self.job then
    return false
  end
  local line = vim.json.encode(msg)
  log.write("-> " .. line)
  return vim.fn.chansend(self.job, line .. "\n") > 0
end

function M:running()
  return self.job ~= nil
end

-- Closing stdin is the polite goodbye (the bridge leaves the room and exits).
function M:stop()
  if self.job then
    pcall(vim.fn.chanclose, self.job, "stdin")
  end
end

function M:kill()
  if self.job then
    pcall(vim.fn.jobstop, self.job)
  end
end

return M
