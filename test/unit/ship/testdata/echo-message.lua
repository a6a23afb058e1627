-- Test helper for luaLiteral: returns obj.message unchanged, so a string's round trip through Lua is visible.
return { status = "Echo", message = obj.message }
