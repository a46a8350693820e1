using DaxLab.Dax;

namespace DaxLab.Designs;

/// <summary>
/// The patch under discussion: the write path always invalidates newly allocated blocks and
/// unmaps each entry as it drops it; faults keep v4.10's order.
/// </summary>
public sealed class RossV1 : Design
{
    public override string Name => "ross-v1";

    public override string Summary => "always invalidate new blocks, unmapping each entry as dropped; faults as in v4.10";

    public override string Source => "Ross Zwisler, \"[PATCH 2/2] dax: fix data corruption due to stale mmap reads\" (April 2017)";

    public override DaxPolicy Dax { get; } = DaxPolicy.V412 with
    {
        FaultOrder = FaultOrder.IomapFirst,
        RechecksPageTableLevel = false,
        NewBlocks = NewBlockInvalidation.UnmapEachDropped,
    };
}
