-- SPDX-License-Identifier: Apache-2.0
--
-- The functions anchorage-agent calls over Knot Resolver's control socket:
-- anchorage_apply(manifest) loads the trust anchors and negative trust anchors listed in the
-- manifest the agent writes, and anchorage_flush(name) empties the cache at and below a name.
-- Copy this file to /etc/knot-resolver/anchorage-functions.lua and add to
-- /etc/knot-resolver/kresd.conf:
--
--   dofile('/etc/knot-resolver/anchorage-functions.lua')
--   anchorage_apply('/etc/knot-resolver/anchorage.anchors')
--
-- The second line loads the anchors the agent last wrote when kresd starts. It is the text the
-- agent's Knot Resolver writer uses (src/writers/knot_writer.cc); the test config.examples checks
-- that the two stay the same.
anchorage_loaded = anchorage_loaded or {}
function anchorage_apply(manifest)
  local loaded, spec = pcall(dofile, manifest)
  if not loaded or type(spec) ~= 'table' then
    return 'anchorage: error: cannot load manifest: ' .. tostring(spec)
  end
  local wanted = {}
  local expected = {}
  for _, entry in ipairs(spec.anchors or {}) do
    wanted[entry[1]] = entry[2]
    expected[entry[1]] = entry[3]
  end
  for owner in pairs(anchorage_loaded) do
    if not wanted[owner] then
      trust_anchors.remove(owner)
      anchorage_loaded[owner] = nil
    end
  end
  for owner, path in pairs(wanted) do
    local added, err = pcall(trust_anchors.add_file, path, true)
    if not added then
      return 'anchorage: error: ' .. tostring(err)
    end
    anchorage_loaded[owner] = true
    local keyset = trust_anchors.keysets[kres.str2dname(owner)]
    local count = keyset and #keyset or 0
    if expected[owner] and count ~= expected[owner] then
      return 'anchorage: error: ' .. path .. ' gave ' .. count .. ' anchors, expected ' ..
        expected[owner]
    end
  end
  local set, err = pcall(trust_anchors.set_insecure, spec.insecure or {})
  if not set then
    return 'anchorage: error: ' .. tostring(err)
  end
  return 'anchorage: ok'
end
function anchorage_flush(name)
  if name == '.' then
    cache.clear()
  else
    cache.clear(name)
  end
  return 'anchorage: ok'
end
