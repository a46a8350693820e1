// Namespaces that reach a bottom one in one way each, for NamespaceGraph's own test: what the
// reader must find in method bodies, and the constant it cannot see.

namespace DaxLab.Tests.Architecture.Samples.Bottom
{
    public sealed class Leaf
    {
        public const int Size = 4096;

        public static int Count() => 1;
    }

    public sealed class LeafException() : Exception("leaf");
}

namespace DaxLab.Tests.Architecture.Samples.ByCall
{
    public static class Caller
    {
        public static int Run() => Bottom.Leaf.Count();
    }
}

namespace DaxLab.Tests.Architecture.Samples.ByCatch
{
    public static class Catcher
    {
        public static bool Run(Action action)
        {
            try
            {
                action();
                return true;
            }
            catch (Bottom.LeafException)
            {
                return false;
            }
        }
    }
}

namespace DaxLab.Tests.Architecture.Samples.ByTypeArgument
{
    public static class Lister
    {
        public static int Run() => new List<Bottom.Leaf>().Count;
    }
}

namespace DaxLab.Tests.Architecture.Samples.ByConstant
{
    public static class Sizer
    {
        public static int Run() => Bottom.Leaf.Size;
    }
}
