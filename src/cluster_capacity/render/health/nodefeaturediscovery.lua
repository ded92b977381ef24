-- Argo CD health of an OpenShift NodeFeatureDiscovery (nfd.openshift.io/v1): its Available and Degraded
-- conditions. Custom checks run without the string library: only base functions, table and `..` here.
local hs = {}
local found = {}
if obj.status ~= nil and obj.status.conditions ~= nil then
  for _, c in ipairs(obj.status.conditions) do
    if c.type ~= nil then
      found[c.type] = c
    end
  end
end

local function say(c, fallback)
  if c ~= nil and c.message ~= nil and c.message ~= "" then
    return c.message
  end
  if c ~= nil and c.reason ~= nil and c.reason ~= "" then
    return c.reason
  end
  return fallback
end

if found.Degraded ~= nil and found.Degraded.status == "True" then
  hs.status = "Degraded"
  hs.message = say(found.Degraded, "NodeFeatureDiscovery is degraded")
  return hs
end
if found.Available ~= nil and found.Available.status == "True" then
  hs.status = "Healthy"
  hs.message = say(found.Available, "NodeFeatureDiscovery is available")
  return hs
end
hs.status = "Progressing"
if found.Progressing ~= nil or found.Available ~= nil then
  hs.message = say(found.Progressing or found.Available, "NodeFeatureDiscovery is not available yet")
else
  hs.message = "Waiting for the NFD operator to report the NodeFeatureDiscovery's conditions"
end
return hs
