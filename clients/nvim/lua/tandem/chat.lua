-- tandem/chat.lua: the room's chat in the scratch buffer `tandem://chat`. Every `chat_message`
-- carries the entry's whole text, so an entry is replaced in place as Claude's reply streams.
local scratch = require("tandem.scratch")
local text = require("tandem.text")

local M = {}

M.NAME = "tandem://chat"
M.order = {} -- message ids, first seen first
M.by_id = {}
-- Ids of the messages `:TandemAsk` posted (`asked`), whose AI replies are ours.
M.asks = {}

local nz = require("tandem.bridge").nz

function M.buffer()
  return scratch.get(M.NAME, "markdown")
end

local function header(m)
  local who = nz(m.author) or "?"
  local status = nz(m.status)
  if m.kind == "ai" and status and status ~= "done" then
    who = ("%s (%s)"):format(who, status)
  elseif m.kind == "ai" and status == "done" then
    local cost = tonumber(nz(m.cost_usd))
    if cost then
      who = ("%s ($%.4f)"):format(who, cost)
    end
  end
  if m.reply_to and M.asks[m.reply_to] then
    who = who .. " → you"
  end
  return "## " .. who
end

function M.lines()
  local out = {}
  for _, id in ipairs(M.order) do
    local m = M.by_id[id]
    if #out > 0 then
      out[#out + 1] = ""
    end
    out[#out + 1] = header(m)
    for _, l in ipairs(text.split(nz(m.text) or "")) do
      out[#out + 1] = l
    end
  end
  if #out == 0 then
    out = { "(no messages yet)" }
  end
  return out
end

function M.render()
  scratch.set_lines(M.buffer(), M.lines())
end

-- `chat_message`: a new entry or a new version of one.
function M.on_message(msg)
  local id = nz(msg.message) or tostring(#M.order + 1)
  if not M.by_id[id] then
    table.insert(M.order, id)
  end
  msg.reply_to = nz(msg.reply_to)
  M.by_id[id] = msg
  M.render()
end

-- `asked`: the id of the message `:TandemAsk` posted; its answer shows in the chat window.
function M.on_asked(message_id)
  if message_id and message_id ~= vim.NIL then
    M.asks[message_id] = true
  end
  M.render()
end

-- The reply to one of our asks, if any (for the statusline and tests).
function M.reply_to(message_id)
  for _, id in ipairs(M.order) do
    local m = M.by_id[id]
    if m.kind == "ai" and m.reply_to == message_id then
      return m
    end
  end
end

function M.show()
  M.render()
  scratch.show(M.buffer(), 12)
end

function M.reset()
  M.order, M.by_id, M.asks = {}, {}, {}
end

return M
