-- Argo CD health of an OpenShift MachineAutoscaler (autoscaling.openshift.io/v1beta1): Healthy once the
-- cluster autoscaler operator has taken over the MachineSet it points at (status.lastTargetRef).
-- Custom checks run without the string library: only base functions, table and `..` here.
local hs = {}
local target = (obj.spec or {}).scaleTargetRef or {}
local last = nil
if obj.status ~= nil then
  last = obj.status.lastTargetRef
end
local range = ""
if obj.spec ~= nil and obj.spec.minReplicas ~= nil and obj.spec.maxReplicas ~= nil then
  range = " between " .. obj.spec.minReplicas .. " and " .. obj.spec.maxReplicas .. " replicas"
end

if last == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the cluster autoscaler operator to take over " .. (target.kind or "MachineSet")
    .. " " .. (target.name or "")
  return hs
end
if last.name == target.name and last.kind == target.kind then
  hs.status = "Healthy"
  hs.message = "Scaling " .. (target.kind or "") .. " " .. (target.name or "") .. range
  return hs
end
hs.status = "Progressing"
hs.message = "Moving from " .. (last.kind or "") .. " " .. (last.name or "") .. " to "
  .. (target.kind or "") .. " " .. (target.name or "")
return hs
