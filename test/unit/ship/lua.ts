// Runs Argo CD's Lua customizations of TenantSync the way Argo CD does (a chunk with the resource in the
// global `obj`) under real Lua interpreters: always gopher-lua, the Lua inside Argo CD (through
// `gitops-check lua -`, built from Go modules like the other ship tools, so no system package is needed),
// and any system Lua on PATH as a second opinion. Every interpreter runs the same program text.
import { spawnSync } from 'node:child_process';
import { shipTool } from '../../helm/tools.js';

/** A Lua interpreter that runs a program read from stdin. */
export interface Lua {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
}

/** System interpreters to try besides gopher-lua (CI installs Debian's lua5.4; none is required). */
export const luaCandidates = ['lua5.1', 'lua5.4', 'lua'] as const;

/** gopher-lua through gitops-check; `available` false until test/helm/build.sh gitops-check has built it. */
export function gopherLua(): Lua & { readonly available: boolean } {
  const tool = shipTool('gitops-check');
  return { name: 'gopher-lua (Argo CD)', command: tool.path, args: ['lua', '-'], available: tool.available };
}

/** The system interpreters present on PATH, one per distinct version (`lua` is often an alias of one of them). */
export function systemLuas(): Lua[] {
  const byVersion = new Map<string, Lua>();
  for (const name of luaCandidates) {
    const probe = spawnSync(name, ['-v'], { encoding: 'utf8' });
    const version = `${probe.stdout}${probe.stderr}`.trim();
    if (probe.status === 0 && !byVersion.has(version)) byVersion.set(version, { name, command: name, args: ['-'] });
  }
  return [...byVersion.values()];
}

/** gopher-lua (when built) and the system interpreters. */
export function availableLuas(): Lua[] {
  const gopher = gopherLua();
  return [...(gopher.available ? [gopher] : []), ...systemLuas()];
}

function runLua(lua: Lua, program: string, what: string): string {
  const run = spawnSync(lua.command, [...lua.args], { input: program, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`${lua.name} failed on ${what} (exit ${run.status}): ${run.stderr}`);
  return run.stdout;
}

/** A Lua expression for a JSON-like value. Strings become byte-escaped literals any Lua version reads. */
export function luaLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot express ${value} in Lua`);
    return Number.isInteger(value) ? String(value) : value.toPrecision(17);
  }
  if (typeof value === 'string') {
    let out = '"';
    for (const byte of Buffer.from(value, 'utf8')) {
      const printable = byte >= 0x20 && byte < 0x7f && byte !== 0x22 && byte !== 0x5c;
      out += printable ? String.fromCharCode(byte) : `\\${String(byte).padStart(3, '0')}`;
    }
    return `${out}"`;
  }
  if (value instanceof Date) return luaLiteral(value.toISOString());
  if (Array.isArray(value)) return `{${value.map(luaLiteral).join(', ')}}`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => `[${luaLiteral(k)}] = ${luaLiteral(v)}`);
    return `{${entries.join(', ')}}`;
  }
  throw new Error(`cannot express a ${typeof value} in Lua`);
}

export interface HealthStatus {
  status: string;
  message: string;
}

/** Runs `healthLuaPath` with `obj` set; throws with the interpreter's stderr when the script fails. */
export function runHealthLua(lua: Lua, healthLuaPath: string, obj: unknown): HealthStatus {
  const program = [
    `obj = ${luaLiteral(obj)}`,
    `local check = assert(loadfile(${luaLiteral(healthLuaPath)}))`,
    'local hs = check()',
    'assert(type(hs) == "table", "health.lua must return a table")',
    'io.write(tostring(hs.status), "\\n", hs.message == nil and "" or tostring(hs.message))',
  ].join('\n');
  const stdout = runLua(lua, program, healthLuaPath);
  const newline = stdout.indexOf('\n');
  return { status: stdout.slice(0, newline), message: stdout.slice(newline + 1) };
}

/** A Lua function `toJson(value)` (tables with keys 1..n are arrays; the empty table is an object). */
const luaToJson = `
local function toJson(v)
  local t = type(v)
  if v == nil then return "null" end
  if t == "boolean" then return tostring(v) end
  if t == "number" then
    if v == math.floor(v) and v > -2^53 and v < 2^53 then return string.format("%d", v) end
    return string.format("%.17g", v)
  end
  if t == "string" then
    return '"' .. v:gsub('[%c"\\\\]', function(c) return string.format("\\\\u%04x", c:byte()) end) .. '"'
  end
  if t ~= "table" then error("cannot write a " .. t .. " as JSON") end
  local n, count = #v, 0
  for _ in pairs(v) do count = count + 1 end
  local out = {}
  if n > 0 and n == count then
    for i = 1, n do out[i] = toJson(v[i]) end
    return "[" .. table.concat(out, ",") .. "]"
  end
  for k, x in pairs(v) do out[#out + 1] = toJson(tostring(k)) .. ":" .. toJson(x) end
  return "{" .. table.concat(out, ",") .. "}"
end`;

/**
 * Runs an Argo CD action script (discovery.lua or action.lua) with `obj` set and returns what it returns, as
 * JSON. `clock` (Unix seconds) pins the time os.date formats, as a test clock; the formatting stays Lua's own.
 */
export function runActionLua(lua: Lua, scriptPath: string, obj: unknown, clock?: number): unknown {
  const program = [
    `obj = ${luaLiteral(obj)}`,
    clock === undefined ? '' : `local realDate = os.date; os.date = function(f, t) return realDate(f, t or ${clock}) end`,
    luaToJson,
    `local script = assert(loadfile(${luaLiteral(scriptPath)}))`,
    'io.write(toJson(script()))',
  ].join('\n');
  return JSON.parse(runLua(lua, program, scriptPath)) as unknown;
}
