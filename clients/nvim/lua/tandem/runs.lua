-- tandem/runs.lua: runs of the room's code (anyone's, not only ours) in the scratch buffer
-- `tandem://runs`: a header per run, its output as it streams, and how it ended.
local scratch = require("tandem.scratch")
local text = require("tandem.text")

local M = {}

M.NAME = "tandem://runs"
M.order = {}
M.by_id = {}

local nz = require("tandem.bridge").nz

function M.buffer()
  return scratch.get(M.NAME)
end

local function run(id)
  local r = M.by_id[id]
  if not r then
    r = { id = id, output = {}, status = nil }
    M.by_id[id] = r
    table.insert(M.order, id)
  end
  return r
end

function M.lines()
  local out = {}
  for _, id in ipairs(M.order) do
    local r = M.by_id[id]
    if #out > 0 then
      out[#out + 1] = ""
    end
    out[#out + 1] = ("── run %s%s ──"):format(id, r.entry and (" " .. r.entry) or "")
    for _, l in ipairs(text.split(table.concat(r.output))) do
      out[#out + 1] = l
    end
    if out[#out] == "" then
      out[#out] = nil
    end
    if r.status then
      local s = r.status.status or "?"
      if nz(r.status.exit_code) then
        s = s .. " " .. tostring(r.status.exit_code)
      end
      if nz(r.status.duration_ms) then
        s = s .. (" in %d ms"):format(r.status.duration_ms)
      end
      out[#out + 1] = "[" .. s .. "]"
    else
      out[#out + 1] = "[running]"
    end
  end
  if #out == 0 then
    out = { "(no runs yet)" }
  end
  return out
end

function M.render()
  scratch.set_lines(M.buffer(), M.lines())
end

function M.on_started(run_id, entry)
  local r = run(run_id)
  r.entry = entry
  M.render()
end

function M.on_output(msg)
  table.insert(run(msg.run).output, nz(msg.text) or "")
  M.render()
end

function M.on_status(msg)
  local r = run(msg.run)
  r.status = msg
  r.entry = r.entry or nz(msg.entry)
  M.render()
end

function M.show()
  M.render()
  scratch.show(M.buffer(), 10)
end

function M.reset()
  M.order, M.by_id = {}, {}
end

return M
