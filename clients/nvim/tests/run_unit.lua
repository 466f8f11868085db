-- tests/run_unit.lua: runs every tests/unit/*.lua in this headless Neovim and exits 0 when all
-- pass, 1 (cquit) otherwise. Each test file returns a list of {name, fn} pairs.
--   nvim --headless -u NONE --noplugin -c "set rtp+=clients/nvim" -c "luafile clients/nvim/tests/run_unit.lua"
local here = debug.getinfo(1, "S").source:sub(2):match("(.*)/") or "."
local files = vim.fn.glob(here .. "/unit/*.lua", false, true)
table.sort(files)

local passed, failed = 0, {}
for _, file in ipairs(files) do
  local ok, tests = pcall(dofile, file)
  if not ok then
    table.insert(failed, file .. ": " .. tostring(tests))
  else
    for _, t in ipairs(tests) do
      local name, fn = t[1], t[2]
      -- Each test starts in a fresh buffer in a single window.
      vim.cmd("silent! only | enew!")
      local ok2, err = xpcall(fn, debug.traceback)
      if ok2 then
        passed = passed + 1
        io.stdout:write("ok   ", vim.fn.fnamemodify(file, ":t"), ": ", name, "\n")
      else
        table.insert(failed, vim.fn.fnamemodify(file, ":t") .. ": " .. name .. "\n" .. tostring(err))
        io.stdout:write("FAIL ", vim.fn.fnamemodify(file, ":t"), ": ", name, "\n")
      end
    end
  end
end

for _, f in ipairs(failed) do
  io.stdout:write("\n", f, "\n")
end
io.stdout:write(("\n%d passed, %d failed\n"):format(passed, #failed))
io.stdout:flush()
if #failed > 0 then
  vim.cmd("cquit 1")
else
  vim.cmd("qall!")
end
