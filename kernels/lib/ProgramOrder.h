// How the quantization kernels map a 1-D grid onto [rows, columns] tiles.
#pragma once

#include "tessel/dsl/DSL.h"

#include <utility>

namespace tessel::kernels::detail {

/// The (row tile, column tile) of this program, for a grid of
/// row tiles x `columnTiles` programs numbered along the columns first.
/// Programs that run at the same time then cover whole stretches of the same
/// rows, which DRAM serves faster than one short piece of each of many rows
/// (what walking down a column strip gives), and the number of row tiles is
/// not bounded by the grid's 65535 limit on y.
inline std::pair<dsl::Value, dsl::Value> rowMajorTile(const dsl::Value &columnTiles) {
  dsl::Value program = dsl::programId(0);
  return {program / columnTiles, program % columnTiles};
}

} // namespace tessel::kernels::detail
