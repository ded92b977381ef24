"""Runs a health check the way Argo CD does, in an embedded Lua (lupa).

Mirrors argo-cd ``util/lua/lua.go``: ``runLua`` opens only the base, package, table and a "safe" os
library (custom checks run with ``SkipOpenLibs``: no string, math, io or debug library), sets the object
as the global ``obj`` (``decodeValue``: maps become tables, lists 1-based tables, JSON null nil), runs
the script; ``ExecuteHealthLua`` reads the returned table as ``{status, message}`` and turns a status
that is not one of Argo CD's health codes into ``Unknown``.
"""

from __future__ import annotations

from typing import Any

HEALTH_CODES = ("Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown")
INVALID = "Lua returned an invalid health status"

_SANDBOX = """
return function(script, obj)
  local env = {
    assert = assert, error = error, ipairs = ipairs, next = next, pairs = pairs, pcall = pcall,
    rawequal = rawequal, rawget = rawget, rawset = rawset, select = select, setmetatable = setmetatable,
    getmetatable = getmetatable, tonumber = tonumber, tostring = tostring, type = type,
    unpack = table.unpack, require = require,
    table = {concat = table.concat, insert = table.insert, remove = table.remove, sort = table.sort},
    os = {time = os.time, date = os.date, clock = os.clock},
    obj = obj,
  }
  local chunk, err = load(script, "health.lua", "t", env)
  if chunk == nil then error(err) end
  return chunk()
end
"""


def run_health(script: str, obj: dict[str, Any]) -> dict[str, str]:
    """``{"status": ..., "message": ...}`` as Argo CD would read it from ``script`` run on ``obj``."""
    from lupa import lua54

    lua = lua54.LuaRuntime(register_eval=False, register_builtins=False)
    lua.execute("debug.setmetatable('', nil)")  # no string methods either: ("x"):upper() fails
    result = lua.execute(_SANDBOX)(script, _decode(lua, obj))
    if result is None:
        return {}
    health = {str(k): str(v) for k, v in result.items()}
    if health.get("status") not in HEALTH_CODES:
        return {"status": "Unknown", "message": INVALID}
    return health


def _decode(lua: Any, value: Any) -> Any:
    if isinstance(value, dict):
        table = lua.table()
        for key, item in value.items():
            if item is not None:
                table[key] = _decode(lua, item)
        return table
    if isinstance(value, list):
        table = lua.table()
        for i, item in enumerate(value, 1):
            table[i] = _decode(lua, item)
        return table
    return value
