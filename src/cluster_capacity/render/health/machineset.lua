-- Argo CD health of an OpenShift MachineSet (machine.openshift.io/v1beta1): every desired replica
-- available. A MachineSet scaled to 0 is Healthy as soon as it has no machines left, with or without a
-- status, so a pool at 0 never holds later sync waves back.
-- Custom checks run without the string library: only base functions, table and `..` here.
local hs = {}
local desired = 1 -- the CRD's default for a missing spec.replicas
if obj.spec ~= nil and obj.spec.replicas ~= nil then
  desired = obj.spec.replicas
end
local st = obj.status or {}
local replicas = st.replicas or 0
local available = st.availableReplicas or 0

if st.errorReason ~= nil or st.errorMessage ~= nil then
  hs.status = "Degraded"
  hs.message = (st.errorReason or "Error") .. ": " .. (st.errorMessage or "the MachineSet reports an error")
  return hs
end

if desired == 0 then
  if replicas > 0 then
    hs.status = "Progressing"
    hs.message = "Scaling down to 0: " .. replicas .. " machine(s) left"
  else
    hs.status = "Healthy"
    hs.message = "Scaled to 0"
  end
  return hs
end

if obj.status == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the machine controller to report the MachineSet's status"
  return hs
end

local generation = (obj.metadata or {}).generation
if generation ~= nil and st.observedGeneration ~= nil and st.observedGeneration < generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the machine controller to observe generation " .. generation
  return hs
end

if available >= desired and replicas == desired then
  hs.status = "Healthy"
  hs.message = available .. " of " .. desired .. " machine(s) available"
  return hs
end

hs.status = "Progressing"
hs.message = available .. " of " .. desired .. " machine(s) available (" .. replicas .. " exist, "
  .. (st.readyReplicas or 0) .. " ready)"
return hs
