// Resource usage of containers as typed figures, read from their cgroups (`vcrun stats`
// formats them in cmd/).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vcrun {

// One block device's line of the container's io.stat.
struct DeviceIo {
  unsigned major = 0, minor = 0;
  uint64_t read_bytes = 0, write_bytes = 0, read_ios = 0, write_ios = 0;
};

// The container's HTB class on its egress device (vcrun.network.rate/ceil/share).
struct NetClassStats {
  std::string device;
  uint32_t classid = 0;  // major << 16 | minor
  uint64_t bytes = 0, packets = 0, drops = 0, overlimits = 0;
};

struct ContainerStats {
  std::string id;
  std::string path;                 // the container's cgroup directory
  bool present = false;             // the cgroup exists
  double cpu_percent = 0;           // of one CPU over the sampling interval
  uint64_t cpu_usage_usec = 0;
  uint64_t nr_throttled = 0;
  uint64_t throttled_usec = 0;
  std::optional<uint64_t> memory_current;
  std::optional<uint64_t> memory_max;  // nullopt: "max" or no memory controller
  std::optional<uint64_t> pids_current;
  std::optional<uint64_t> pids_max;
  uint64_t io_read_bytes = 0;   // summed over io_devices
  uint64_t io_write_bytes = 0;
  std::vector<DeviceIo> io_devices;
  std::optional<NetClassStats> network;  // nullopt: no HTB class
};

}  // namespace vcrun
