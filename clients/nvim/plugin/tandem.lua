-- plugin/tandem.lua: defines the :Tandem* commands and the autocommands the plugin needs;
-- loaded once, everything else is required on first use.
if vim.g.loaded_tandem then
  return
end
vim.g.loaded_tandem = 1

if vim.fn.has("nvim-0.7") == 0 then
  vim.notify("tandem.nvim needs Neovim 0.7 or later", vim.log.levels.ERROR)
  return
end

local api = vim.api
local function cmd(name, fn, opts)
  api.nvim_create_user_command(name, fn, opts)
end

cmd("TandemJoin", function(o)
  require("tandem").join(o.args)
end, { nargs = 1, desc = "Join a Tandem room by its link" })

cmd("TandemLeave", function()
  require("tandem").leave()
end, { nargs = 0, desc = "Leave the Tandem room" })

cmd("TandemFiles", function()
  require("tandem").files()
end, { nargs = 0, desc = "Pick a room file to open" })

cmd("TandemOpen", function(o)
  require("tandem").open(o.args, o.bang)
end, {
  nargs = 1,
  bang = true,
  complete = function(lead)
    return require("tandem").complete_files(lead)
  end,
  desc = "Open a room file (! creates it when missing)",
})

cmd("TandemAsk", function(o)
  require("tandem").ask(o.args)
end, { nargs = "+", desc = "Ask Claude in the room" })

cmd("TandemChat", function(o)
  require("tandem").chat(o.args)
end, { nargs = "*", desc = "Post to the room's chat (no text: show the chat)" })

cmd("TandemRun", function(o)
  require("tandem").run(o.args)
end, {
  nargs = "?",
  complete = function(lead)
    return require("tandem").complete_files(lead)
  end,
  desc = "Run the room's code",
})

cmd("TandemFollow", function(o)
  require("tandem").follow(o.args)
end, {
  nargs = "?",
  complete = function(lead)
    return require("tandem").complete_people(lead)
  end,
  desc = "Follow someone's cursor (no name: stop)",
})

local group = api.nvim_create_augroup("tandem", { clear = true })

api.nvim_create_autocmd({ "CursorMoved", "CursorMovedI" }, {
  group = group,
  callback = function()
    -- Cheap for buffers that are not bound: nothing loads until a room was joined.
    if package.loaded["tandem.session"] then
      local session = require("tandem.session")
      if session.bridge then
        require("tandem.selection").moved(session.send, session.config.cursor_throttle_ms or 50)
      end
    end
  end,
})

api.nvim_create_autocmd("ColorScheme", {
  group = group,
  callback = function()
    require("tandem.cursors").define_defaults()
  end,
})

api.nvim_create_autocmd("VimLeavePre", {
  group = group,
  callback = function()
    if package.loaded["tandem.session"] then
      require("tandem.session").shutdown()
    end
  end,
})

require("tandem.cursors").define_defaults()
