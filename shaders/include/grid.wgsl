// The invocation index of a 1-D grid folded into (x, y) (the launcher's grid1d(n, WG): past 65535
// workgroups the rest go to y). The including module declares `override WG` (its workgroup size).
fn lane_id(gid: vec3u, nwg: vec3u) -> u32 { return gid.x + gid.y * nwg.x * WG; }
