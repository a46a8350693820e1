namespace DaxLab.Designs;

/// <summary>The fix that landed: the base class's behaviour, unchanged.</summary>
public sealed class V412 : Design
{
    public override string Name => "v4.12";

    public override string Summary => "faults lock the entry before ->iomap_begin; new blocks invalidate, then one unmap";

    public override string Source => "Jan Kara, \"mm,dax: Fix data corruption due to mmap inconsistency\" v4 (2017-05-10), with Ross Zwisler's 5/4";
}
