-- Argo CD health of an NVIDIA GPU Operator ClusterPolicy (nvidia.com/v1), from what the operator reports:
-- status.state (ready, notReady, ignored) and the Ready/Error conditions it sets with a reason.
-- Argo CD runs custom checks without the string library: only base functions, table and `..` here.
local hs = {}

local function condition(kind)
  if obj.status == nil or obj.status.conditions == nil then
    return nil
  end
  for _, c in ipairs(obj.status.conditions) do
    if c.type == kind then
      return c
    end
  end
  return nil
end

if obj.status == nil or obj.status.state == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the GPU Operator to report the ClusterPolicy's state"
  return hs
end

local state = obj.status.state
if state == "ready" then
  local ready = condition("Ready")
  hs.status = "Healthy"
  hs.message = "ClusterPolicy is ready"
  if ready ~= nil and ready.message ~= nil and ready.message ~= "" then
    hs.message = ready.message
  end
  return hs
end

if state == "ignored" then
  hs.status = "Degraded"
  hs.message = "ClusterPolicy is ignored: the GPU Operator reconciles only its oldest ClusterPolicy"
  return hs
end

local err = condition("Error")
if err ~= nil and err.status == "True" and err.reason ~= "OperandNotReady" then
  -- the operator could not reconcile (ReconcileFailed and the like): it says why
  hs.status = "Degraded"
  hs.message = err.message or err.reason or "ClusterPolicy reconcile failed"
  return hs
end

-- notReady while operands (driver build, toolkit, device plugin, ...) start: converging
hs.status = "Progressing"
hs.message = "ClusterPolicy is " .. state
if err ~= nil and err.message ~= nil and err.message ~= "" then
  hs.message = err.message
end
return hs
