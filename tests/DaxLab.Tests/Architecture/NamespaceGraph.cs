using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace DaxLab.Tests.Architecture;

/// <summary>
/// Which namespace of an assembly names which other namespace of the same assembly, read from
/// what the compiler emitted: base types, interfaces, generic constraints, attributes, field,
/// method, property and event signatures, and in method bodies every type, member and
/// local-variable reference and every caught exception type.
/// </summary>
/// <remarks>
/// Constants leave no trace (the compiler copies a const's value into its users), nor do
/// <c>nameof</c> and <c>cref</c>: a namespace that only uses another's constants does not
/// depend on it here. A nested type, including the compiler's closures and state machines,
/// counts as its outermost declaring type.
/// </remarks>
internal static class NamespaceGraph
{
    /// <summary>
    /// Each edge (from, to) between two namespaces of <paramref name="prefix"/> defined in the
    /// assembly at <paramref name="assemblyPath"/>, with a witness: the first type of
    /// <c>from</c> found naming a type of <c>to</c>, so a failing test can say where to look.
    /// </summary>
    public static Dictionary<(string From, string To), string> Read(string assemblyPath, string prefix)
    {
        using var pe = new PEReader(File.OpenRead(assemblyPath));
        var md = pe.GetMetadataReader();
        var reader = new Reader(md, pe, prefix);
        foreach (var handle in md.TypeDefinitions)
            reader.Visit(handle);
        return reader.Edges;
    }

    private sealed class Reader(MetadataReader md, PEReader pe, string prefix)
    {
        private readonly DefinitionsNamed signatures = new(md);
        private TypeDefinitionHandle current;

        public Dictionary<(string From, string To), string> Edges { get; } = [];

        public void Visit(TypeDefinitionHandle handle)
        {
            current = handle;
            if (!InScope(Namespace(handle)))
                return;
            var type = md.GetTypeDefinition(handle);
            AddType(type.BaseType);
            foreach (var i in type.GetInterfaceImplementations())
                AddType(md.GetInterfaceImplementation(i).Interface);
            AddGenericParameters(type.GetGenericParameters());
            AddAttributes(type.GetCustomAttributes());
            foreach (var f in type.GetFields())
            {
                var field = md.GetFieldDefinition(f);
                Add(field.DecodeSignature(signatures, null));
                AddAttributes(field.GetCustomAttributes());
            }
            foreach (var p in type.GetProperties())
                AddMethodSignature(md.GetPropertyDefinition(p).DecodeSignature(signatures, null));
            foreach (var e in type.GetEvents())
                AddType(md.GetEventDefinition(e).Type);
            foreach (var m in type.GetMethods())
                VisitMethod(md.GetMethodDefinition(m));
        }

        private void VisitMethod(MethodDefinition method)
        {
            AddMethodSignature(method.DecodeSignature(signatures, null));
            AddGenericParameters(method.GetGenericParameters());
            AddAttributes(method.GetCustomAttributes());
            if (method.RelativeVirtualAddress == 0)
                return; // abstract, extern or an interface's: no body
            var body = pe.GetMethodBody(method.RelativeVirtualAddress);
            if (!body.LocalSignature.IsNil)
                foreach (var local in md.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(signatures, null))
                    Add(local);
            foreach (var region in body.ExceptionRegions)
                AddType(region.CatchType);
            foreach (int token in Il.Tokens(body.GetILReader()))
                AddToken(MetadataTokens.EntityHandle(token));
        }

        private void AddToken(EntityHandle handle)
        {
            switch (handle.Kind)
            {
                case HandleKind.TypeDefinition or HandleKind.TypeReference or HandleKind.TypeSpecification:
                    AddType(handle);
                    break;
                case HandleKind.MethodDefinition:
                    AddDefinition(md.GetMethodDefinition((MethodDefinitionHandle)handle).GetDeclaringType());
                    break;
                case HandleKind.FieldDefinition:
                    AddDefinition(md.GetFieldDefinition((FieldDefinitionHandle)handle).GetDeclaringType());
                    break;
                case HandleKind.MemberReference:
                    var member = md.GetMemberReference((MemberReferenceHandle)handle);
                    AddToken(member.Parent);
                    if (member.GetKind() == MemberReferenceKind.Method)
                        AddMethodSignature(member.DecodeMethodSignature(signatures, null));
                    else
                        Add(member.DecodeFieldSignature(signatures, null));
                    break;
                case HandleKind.MethodSpecification:
                    var spec = md.GetMethodSpecification((MethodSpecificationHandle)handle);
                    AddToken(spec.Method);
                    foreach (var argument in spec.DecodeSignature(signatures, null))
                        Add(argument);
                    break;
                case HandleKind.StandaloneSignature:
                    AddMethodSignature(md.GetStandaloneSignature((StandaloneSignatureHandle)handle).DecodeMethodSignature(signatures, null));
                    break;
            }
        }

        private void AddType(EntityHandle handle)
        {
            if (handle.IsNil)
                return; // no base type (an interface), or a catch-all region
            switch (handle.Kind)
            {
                case HandleKind.TypeDefinition:
                    AddDefinition((TypeDefinitionHandle)handle);
                    break;
                case HandleKind.TypeSpecification:
                    Add(md.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(signatures, null));
                    break;
                // A type reference names another assembly's type: not an edge of this one.
            }
        }

        private void AddMethodSignature(MethodSignature<ImmutableArray<TypeDefinitionHandle>> signature)
        {
            Add(signature.ReturnType);
            foreach (var parameter in signature.ParameterTypes)
                Add(parameter);
        }

        private void AddGenericParameters(GenericParameterHandleCollection parameters)
        {
            foreach (var p in parameters)
                foreach (var c in md.GetGenericParameter(p).GetConstraints())
                    AddType(md.GetGenericParameterConstraint(c).Type);
        }

        private void AddAttributes(CustomAttributeHandleCollection attributes)
        {
            foreach (var a in attributes)
                AddToken(md.GetCustomAttribute(a).Constructor);
        }

        private void Add(ImmutableArray<TypeDefinitionHandle> types)
        {
            foreach (var t in types)
                AddDefinition(t);
        }

        private void AddDefinition(TypeDefinitionHandle target)
        {
            string from = Namespace(current), to = Namespace(target);
            if (from != to && InScope(to))
                Edges.TryAdd((from, to), $"{FullName(current)} names {FullName(target)}");
        }

        private bool InScope(string ns) => ns == prefix || ns.StartsWith(prefix + ".", StringComparison.Ordinal);

        private TypeDefinitionHandle Outermost(TypeDefinitionHandle handle)
        {
            for (var declaring = md.GetTypeDefinition(handle).GetDeclaringType(); !declaring.IsNil; declaring = md.GetTypeDefinition(handle).GetDeclaringType())
                handle = declaring;
            return handle;
        }

        private string Namespace(TypeDefinitionHandle handle) => md.GetString(md.GetTypeDefinition(Outermost(handle)).Namespace);

        private string FullName(TypeDefinitionHandle handle)
        {
            var outer = md.GetTypeDefinition(Outermost(handle));
            return md.GetString(outer.Namespace) + "." + md.GetString(outer.Name);
        }
    }

    /// <summary>The type definitions of this assembly that a signature names, through generics, arrays, pointers and modifiers.</summary>
    private sealed class DefinitionsNamed(MetadataReader md) : ISignatureTypeProvider<ImmutableArray<TypeDefinitionHandle>, object?>
    {
        private static readonly ImmutableArray<TypeDefinitionHandle> None = [];

        public ImmutableArray<TypeDefinitionHandle> GetPrimitiveType(PrimitiveTypeCode typeCode) => None;
        public ImmutableArray<TypeDefinitionHandle> GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => [handle];
        public ImmutableArray<TypeDefinitionHandle> GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => None;
        public ImmutableArray<TypeDefinitionHandle> GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) =>
            md.GetTypeSpecification(handle).DecodeSignature(this, genericContext);
        public ImmutableArray<TypeDefinitionHandle> GetSZArrayType(ImmutableArray<TypeDefinitionHandle> elementType) => elementType;
        public ImmutableArray<TypeDefinitionHandle> GetArrayType(ImmutableArray<TypeDefinitionHandle> elementType, ArrayShape shape) => elementType;
        public ImmutableArray<TypeDefinitionHandle> GetByReferenceType(ImmutableArray<TypeDefinitionHandle> elementType) => elementType;
        public ImmutableArray<TypeDefinitionHandle> GetPointerType(ImmutableArray<TypeDefinitionHandle> elementType) => elementType;
        public ImmutableArray<TypeDefinitionHandle> GetPinnedType(ImmutableArray<TypeDefinitionHandle> elementType) => elementType;
        public ImmutableArray<TypeDefinitionHandle> GetGenericInstantiation(ImmutableArray<TypeDefinitionHandle> genericType, ImmutableArray<ImmutableArray<TypeDefinitionHandle>> typeArguments) =>
            genericType.AddRange(typeArguments.SelectMany(a => a));
        public ImmutableArray<TypeDefinitionHandle> GetGenericMethodParameter(object? genericContext, int index) => None;
        public ImmutableArray<TypeDefinitionHandle> GetGenericTypeParameter(object? genericContext, int index) => None;
        public ImmutableArray<TypeDefinitionHandle> GetFunctionPointerType(MethodSignature<ImmutableArray<TypeDefinitionHandle>> signature) =>
            signature.ReturnType.AddRange(signature.ParameterTypes.SelectMany(p => p));
        public ImmutableArray<TypeDefinitionHandle> GetModifiedType(ImmutableArray<TypeDefinitionHandle> modifier, ImmutableArray<TypeDefinitionHandle> unmodifiedType, bool isRequired) =>
            unmodifiedType.AddRange(modifier);
    }

    /// <summary>The metadata tokens in a method body's IL, found by stepping over each instruction's operand.</summary>
    private static class Il
    {
        private static readonly OpCode[] OneByte = new OpCode[0x100];
        private static readonly OpCode[] TwoByte = new OpCode[0x100];

        static Il()
        {
            foreach (var field in typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static))
            {
                var op = (OpCode)field.GetValue(null)!;
                ushort value = (ushort)op.Value;
                if (op.Size == 1)
                    OneByte[value] = op;
                else
                    TwoByte[value & 0xff] = op;
            }
        }

        public static IEnumerable<int> Tokens(BlobReader il)
        {
            var tokens = new List<int>();
            while (il.RemainingBytes > 0)
            {
                byte first = il.ReadByte();
                var op = first == 0xfe ? TwoByte[il.ReadByte()] : OneByte[first];
                switch (op.OperandType)
                {
                    case OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineSig or OperandType.InlineTok or OperandType.InlineType:
                        tokens.Add(il.ReadInt32());
                        break;
                    case OperandType.InlineSwitch:
                        int targets = il.ReadInt32();
                        il.Offset += 4 * targets;
                        break;
                    default:
                        il.Offset += OperandSize(op.OperandType);
                        break;
                }
            }
            return tokens;
        }

        private static int OperandSize(OperandType type) => type switch
        {
            OperandType.InlineNone => 0,
            OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
            OperandType.InlineVar => 2,
            OperandType.InlineI8 or OperandType.InlineR => 8,
            _ => 4, // InlineBrTarget, InlineI, ShortInlineR, InlineString
        };
    }
}
