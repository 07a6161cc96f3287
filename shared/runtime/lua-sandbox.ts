/**
 * What a Lua guest gets: the base library without file access, string (without `dump`), table,
 * math, utf8, coroutine, a time-only `os`, `io.write`, `json`, and a `require` that knows only json.
 * Not opened at all: io, package, debug. `load` accepts text chunks only, never bytecode.
 */

/** Libraries opened with their `luaopen_*` function and set as globals. */
export const OPENED_LIBRARIES = ['string', 'table', 'math', 'utf8', 'coroutine'] as const

/** The part of `os` that tells time and touches nothing. */
export const SAFE_OS_FUNCTIONS = ['time', 'clock', 'date', 'difftime'] as const

/** Runs once per state, after the libraries and host functions are in place. */
export const SANDBOX_PRELUDE = `
local load_, collect_, error_, select_, tostring_ = load, collectgarbage, error, select, tostring
loadfile, dofile = nil, nil
string.dump = nil
function load(chunk, name, mode, ...)
  if select_('#', ...) > 0 then return load_(chunk, name, "t", ...) end
  return load_(chunk, name, "t")
end
local collect_options = { collect = true, count = true, step = true, isrunning = true }
function collectgarbage(opt, ...)
  opt = opt or "collect"
  if not collect_options[opt] then
    error_("collectgarbage('" .. tostring_(opt) .. "') is not available in the sandbox", 2)
  end
  return collect_(opt, ...)
end
do
  -- SECRETS reads like a table and refuses writes; pairs() still lists it.
  local values, error2 = SECRETS, error_
  SECRETS = setmetatable({}, {
    __index = values,
    __newindex = function() error2("SECRETS is read-only", 2) end,
    __pairs = function() return next, values, nil end,
    __metatable = false,
  })
end
local json_ = json
function require(name)
  if name == "json" then return json_ end
  error_("module '" .. tostring_(name) .. "' not found: only 'json' is available in the sandbox", 2)
end
`
