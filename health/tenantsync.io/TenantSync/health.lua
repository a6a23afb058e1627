-- Argo CD health of a tenantsync.io/TenantSync, from the kstatus conditions the operator writes (Ready,
-- Reconciling, Stalled; Ready carries a failed or stale sync). Lua 5.1 as Argo CD's gopher-lua runs it; `obj` is the resource.
local hs = {}

local function findCondition(conditions, conditionType)
  if conditions == nil then
    return nil
  end
  for _, c in ipairs(conditions) do
    if c.type == conditionType then
      return c
    end
  end
  return nil
end

-- "Reason: message", or what is known of the two.
local function explain(c, fallback)
  local reason = c.reason
  local message = c.message
  if reason ~= nil and reason ~= "" and message ~= nil and message ~= "" then
    return reason .. ": " .. message
  end
  if message ~= nil and message ~= "" then
    return message
  end
  if reason ~= nil and reason ~= "" then
    return reason
  end
  return fallback
end

local generation = nil
if obj.metadata ~= nil then
  generation = obj.metadata.generation
end
local status = obj.status

-- The operator has not looked at this spec yet: whatever status there is describes an older one.
if status == nil or status.observedGeneration == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the tenant-sync operator to reconcile the TenantSync"
  return hs
end
if generation ~= nil and status.observedGeneration < generation then
  hs.status = "Progressing"
  hs.message = string.format("Waiting for the tenant-sync operator to reconcile generation %d (status is of generation %d)", generation, status.observedGeneration)
  return hs
end

local conditions = status.conditions
local stalled = findCondition(conditions, "Stalled")
local reconciling = findCondition(conditions, "Reconciling")
local ready = findCondition(conditions, "Ready")

-- A person must act (invalid spec, missing Secret): degraded even when suspended.
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = explain(stalled, "Stalled")
  return hs
end

if obj.spec ~= nil and obj.spec.suspend == true then
  hs.status = "Suspended"
  hs.message = "Suspended: no new sync runs start until spec.suspend is false"
  return hs
end

if reconciling ~= nil and reconciling.status == "True" then
  hs.status = "Progressing"
  hs.message = explain(reconciling, "Reconciling")
  return hs
end

if ready == nil or ready.status == "Unknown" then
  hs.status = "Progressing"
  hs.message = "Waiting for the Ready condition"
  return hs
end

-- Not ready: the operator could not finish, or (reason RunBlocked, SyncFailed, SyncPartiallyFailed, Stale) it did and
-- the data is not flowing: a run cannot start, the last run failed, or none succeeded within 2x the interval.
if ready.status == "False" then
  hs.status = "Degraded"
  hs.message = explain(ready, "Not ready")
  return hs
end

hs.status = "Healthy"
hs.message = explain(ready, "Ready")
return hs
