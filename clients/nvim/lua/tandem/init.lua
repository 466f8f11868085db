-- tandem/init.lua: the plugin's public API: setup() and the functions behind the :Tandem*
-- commands and the statusline component. The work happens in the modules it calls.
local chat = require("tandem.chat")
local runs = require("tandem.runs")
local session = require("tandem.session")
local status = require("tandem.status")

local M = {}

-- setup({ bridge = {'tandem-bridge'}, name = 'Ada', cursor_throttle_ms = 50, log = path })
function M.setup(opts)
  opts = opts or {}
  for k, v in pairs(opts) do
    session.config[k] = v
  end
  if type(session.config.bridge) == "string" then
    session.config.bridge = { session.config.bridge }
  end
end

-- Joins the room of `link` (http://host/r/ROOM#token=...) or of a table {url, room, token}.
function M.join(link)
  return session.join(link)
end

function M.leave()
  session.leave()
end

-- Opens room file `path`; `create` makes an empty one when the room has none.
function M.open(path, create)
  session.open(path, create)
end

-- Picks a room file with vim.ui.select and opens it.
function M.files()
  if not session.joined() then
    return
  end
  local paths = session.file_paths()
  if #paths == 0 then
    vim.notify("Tandem: the room has no files yet", vim.log.levels.INFO)
    return
  end
  vim.ui.select(paths, { prompt = "Tandem: open a room file" }, function(choice)
    if choice then
      session.open(choice)
    end
  end)
end

-- Asks Claude (posts "@claude <prompt>"); the reply streams into the chat window.
function M.ask(prompt)
  if not session.joined() or not prompt or prompt == "" then
    return
  end
  session.request({ type = "ask", prompt = prompt })
  chat.show()
end

-- Posts a chat message; without text, shows the chat.
function M.chat(text)
  if not session.joined() then
    return
  end
  if text and text ~= "" then
    session.request({ type = "chat", text = text })
  end
  chat.show()
end

-- Runs the room's code (`entry` or the room's default); output goes to the runs window.
function M.run(entry)
  if not session.joined() then
    return
  end
  if entry == "" then
    entry = nil
  end
  session.request({ type = "run", entry = entry }, { entry = entry })
  runs.show()
end

-- Follows `name` across files; nil or "" stops.
function M.follow(name)
  session.follow(name)
end

-- For a statusline: "Tandem: demo ● synced (3)", "" outside a room.
function M.status()
  return status.text()
end

-- The session as plain data, for scripts and tests.
function M.info()
  local bound = {}
  for path, b in pairs(require("tandem.buffer").by_path) do
    bound[path] = b.buf
  end
  return {
    room = status.room,
    state = status.state,
    read_only = status.read_only,
    people = session.people_names(),
    files = session.file_paths(),
    buffers = bound,
    following = session.following,
    status = status.text(),
  }
end

-- Completion helpers for the commands.
M.complete_files = function(lead)
  return vim.tbl_filter(function(p)
    return p:sub(1, #lead) == lead
  end, session.file_paths())
end

M.complete_people = function(lead)
  return vim.tbl_filter(function(p)
    return p:sub(1, #lead) == lead
  end, session.people_names())
end

return M
