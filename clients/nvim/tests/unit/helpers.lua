-- tests/unit/helpers.lua: assertions shared by the unit tests (loaded with dofile, not a test).
local H = {}

function H.eq(want, got, what)
  if not vim.deep_equal(want, got) then
    error(("%s:\n  want %s\n  got  %s"):format(what or "mismatch", vim.inspect(want), vim.inspect(got)), 2)
  end
end

function H.truthy(v, what)
  if not v then
    error(what or "expected a true value", 2)
  end
end

-- A small deterministic PRNG (so failures reproduce).
function H.rng(seed)
  local s = seed
  return function(n)
    s = (s * 1103515245 + 12345) % 2147483648
    return s % n
  end
end

return H
