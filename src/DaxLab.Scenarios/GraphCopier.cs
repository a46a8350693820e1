using System.Collections.Concurrent;
using System.Reflection;
using System.Reflection.Emit;
using DaxLab.Designs;
using DaxLab.Sync;

namespace DaxLab.Scenarios;

/// <summary>
/// A deep copy of an object graph, for <see cref="SetupSnapshot"/>: every object reachable from
/// the root is copied once (shared references and cycles stay shared and cyclic in the copy),
/// except the objects that never change (strings, the design, lock classes, comparers) and the
/// ones the caller maps itself (<see cref="Map"/>; the seam and scheduler of the run that made
/// the original, the device).
/// </summary>
/// <remarks>
/// An object is copied with <c>MemberwiseClone</c>, then its reference fields (also inside
/// struct fields and struct array elements) are replaced by their copies by a method emitted
/// once per type, so that a copy costs about what allocating the graph does. Anything the copier
/// cannot copy faithfully throws <see cref="NotSupportedException"/> instead of sharing it: a
/// pointer field, a host synchronization object other than <see cref="Lock"/>, a closure, a
/// hashed collection keyed by object identity (a copied key hashes differently from the
/// original, so the copy's buckets would be wrong). The caller then does without a snapshot.
/// </remarks>
internal sealed class GraphCopier
{
    private readonly Dictionary<object, object> copies = new(ReferenceEqualityComparer.Instance);
    private readonly Func<object, object?> special;

    /// <param name="special">The copy of an object the generic rules must not copy (a device), or null to copy it by the rules.</param>
    public GraphCopier(Func<object, object?> special) => this.special = special;

    /// <summary>Makes <paramref name="to"/> the copy of <paramref name="from"/> wherever the graph refers to it.</summary>
    public void Map(object from, object to) => copies[from] = to;

    public T Copy<T>(T value) where T : class => (T)CopyObject(value)!;

    /// <summary>The copy of <paramref name="value"/>, made on first sight. Called by the emitted field fix-ups.</summary>
    public object? CopyObject(object? value)
    {
        if (value is null)
            return null;
        if (copies.TryGetValue(value, out var done))
            return done;
        var plan = Plans.GetOrAdd(value.GetType(), Plan.For);
        if (plan.Shared || (value is Delegate d && IsSharedDelegate(d)))
            return value;
        if (special(value) is { } replaced)
        {
            copies[value] = replaced;
            return replaced;
        }
        if (plan.Unsupported is { } why)
            throw new NotSupportedException(why);
        var copy = plan.Make is { } make ? make() : MemberwiseCloneOf(value);
        copies[value] = copy;
        plan.Fix?.Invoke(copy, this);
        return copy;
    }

    /// <summary>A delegate without state of its own (a static method, a lambda capturing nothing, or one bound to a shared object).</summary>
    private static bool IsSharedDelegate(Delegate d)
    {
        if (d.Target is not { } target)
            return true;
        var type = target.GetType();
        bool statelessLambdas = type.Name == "<>c" && type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic).Length == 0;
        if (statelessLambdas || Plans.GetOrAdd(type, Plan.For).Shared)
            return true;
        throw new NotSupportedException($"a delegate bound to {type} (a closure over state the copy would have to follow)");
    }

    private static readonly Func<object, object> MemberwiseCloneOf =
        typeof(object).GetMethod("MemberwiseClone", BindingFlags.Instance | BindingFlags.NonPublic)!.CreateDelegate<Func<object, object>>();

    private static readonly ConcurrentDictionary<Type, Plan> Plans = new();

    /// <summary>How objects of one type are copied.</summary>
    private sealed class Plan
    {
        /// <summary>Never changes, or is the same object in every run: the copy refers to the original.</summary>
        public bool Shared;
        /// <summary>Why the type cannot be copied, when it cannot.</summary>
        public string? Unsupported;
        /// <summary>A fresh object instead of a memberwise clone (a host lock, which must not be shared and holds nothing after the setup).</summary>
        public Func<object>? Make;
        /// <summary>Replaces the clone's references by their copies; null when it holds none.</summary>
        public Action<object, GraphCopier>? Fix;

        public static Plan For(Type type)
        {
            if (IsSharedType(type))
                return new Plan { Shared = true };
            if (IsMadeFresh(type))
                return new Plan { Make = () => Activator.CreateInstance(type)! };
            if (type.IsArray)
                return ForArray(type);
            if (Refuse(type) is { } why)
                return new Plan { Unsupported = why };
            return new Plan { Fix = Emit(type) };
        }

        /// <summary>
        /// Host locks (<see cref="Lock"/>, a plain object used as a monitor) and thread-local
        /// slots: the copy gets a new one, since none may be shared between runs and none holds
        /// anything once the setup is over.
        /// </summary>
        private static bool IsMadeFresh(Type type) =>
            type == typeof(Lock) || type == typeof(object)
            || (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(ThreadLocal<>));

        /// <summary>Immutable, or the same for every run: strings, types, boxed values without references, the design and its policy, lock classes, comparers.</summary>
        private static bool IsSharedType(Type type) =>
            type == typeof(string) || typeof(MemberInfo).IsAssignableFrom(type) || type == typeof(Pointer)
            || (type.IsValueType && !HoldsReferences(type))
            || type.IsPrimitive || type.IsEnum
            || typeof(Design).IsAssignableFrom(type) || typeof(Dax.DaxPolicy).IsAssignableFrom(type) || type == typeof(LockClass)
            || typeof(Scenario).IsAssignableFrom(type)
            || (IsHostType(type) && (type.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEqualityComparer<>))
                || typeof(System.Collections.IEqualityComparer).IsAssignableFrom(type)));

        private static bool IsHostType(Type type) => type.Assembly == typeof(object).Assembly || type.Assembly.GetName().Name!.StartsWith("System.", StringComparison.Ordinal);

        /// <summary>Why objects of <paramref name="type"/> cannot be copied by fields, or null when they can.</summary>
        private static string? Refuse(Type type)
        {
            if (typeof(Delegate).IsAssignableFrom(type))
                return $"a delegate of {type}";
            if (IsHostType(type) && !type.IsValueType && type.Namespace != "System.Collections.Generic")
                return $"a host object of {type}";
            if (type.IsGenericType && type.GetGenericTypeDefinition() is var definition
                && (definition == typeof(Dictionary<,>) || definition == typeof(HashSet<>)) && !HashesByValue(type.GetGenericArguments()[0]))
                return $"a hashed collection keyed by {type.GetGenericArguments()[0]}, whose hash may be an object's identity";
            foreach (var field in InstanceFields(type))
            {
                if (field.FieldType.IsPointer || field.FieldType.IsByRef)
                    return $"{type}.{field.Name} is a pointer";
            }
            return null;
        }

        private static bool HashesByValue(Type key) => key.IsPrimitive || key.IsEnum || key == typeof(string);

        private static Plan ForArray(Type type)
        {
            var element = type.GetElementType()!;
            if (type.GetArrayRank() != 1 || element.IsPointer)
                return new Plan { Unsupported = $"an array of {type}" };
            if (!HoldsReferences(element))
                return new Plan();
            if (!element.IsValueType)
                return new Plan { Fix = FixReferenceArray };
            var fix = typeof(Plan).GetMethod(nameof(FixStructArray), BindingFlags.Static | BindingFlags.NonPublic)!.MakeGenericMethod(element);
            return new Plan { Fix = fix.CreateDelegate<Action<object, GraphCopier>>() };
        }

        private static void FixReferenceArray(object array, GraphCopier copier)
        {
            var items = (object?[])array;
            // Mostly nulls in a world: the wait-queue table's 4096 buckets are made on first use.
            for (int i = 0; i < items.Length; i++)
            {
                if (items[i] is { } item)
                    items[i] = copier.CopyObject(item);
            }
        }

        private static void FixStructArray<T>(object array, GraphCopier copier)
        {
            var items = (T[])array;
            for (int i = 0; i < items.Length; i++)
                StructFixer<T>.Fix(ref items[i], copier);
        }

        /// <summary>The fix-up of a class or boxed struct: for each reference field, store the copy of what it refers to.</summary>
        private static Action<object, GraphCopier>? Emit(Type type)
        {
            var fields = InstanceFields(type).Where(f => HoldsReferences(f.FieldType)).ToList();
            if (fields.Count == 0)
                return null;
            var method = new DynamicMethod($"Fix {type.Name}", typeof(void), [typeof(object), typeof(GraphCopier)], typeof(GraphCopier).Module, skipVisibility: true);
            var il = method.GetILGenerator();
            EmitFixups(il, fields, il =>
            {
                il.Emit(OpCodes.Ldarg_0);
                il.Emit(type.IsValueType ? OpCodes.Unbox : OpCodes.Castclass, type);
            });
            il.Emit(OpCodes.Ret);
            return method.CreateDelegate<Action<object, GraphCopier>>();
        }

        /// <summary>
        /// For each field: target.f = (F)copier.CopyObject(target.f) for a reference field;
        /// StructFixer&lt;F&gt;.Fix(ref target.f, copier) for a struct field that holds references.
        /// </summary>
        internal static void EmitFixups(ILGenerator il, List<FieldInfo> fields, Action<ILGenerator> loadTarget)
        {
            var copyObject = typeof(GraphCopier).GetMethod(nameof(CopyObject))!;
            foreach (var field in fields)
            {
                if (field.FieldType.IsValueType)
                {
                    loadTarget(il);
                    il.Emit(OpCodes.Ldflda, field);
                    il.Emit(OpCodes.Ldarg_1);
                    il.Emit(OpCodes.Call, typeof(StructFixer<>).MakeGenericType(field.FieldType).GetMethod(nameof(StructFixer<int>.Fix))!);
                    continue;
                }
                loadTarget(il);
                il.Emit(OpCodes.Ldarg_1);
                loadTarget(il);
                il.Emit(OpCodes.Ldfld, field);
                il.Emit(OpCodes.Callvirt, copyObject);
                il.Emit(OpCodes.Castclass, field.FieldType);
                il.Emit(OpCodes.Stfld, field);
            }
        }
    }

    private static readonly ConcurrentDictionary<Type, bool> Referencing = new();

    /// <summary>A reference type, or a struct with a reference among its fields (as RuntimeHelpers.IsReferenceOrContainsReferences&lt;T&gt;, for a Type).</summary>
    private static bool HoldsReferences(Type type) =>
        (!type.IsValueType && !type.IsPointer) || (!type.IsPrimitive && !type.IsEnum && !type.IsPointer
            && Referencing.GetOrAdd(type, t => InstanceFields(t).Any(f => !f.FieldType.IsPointer && HoldsReferences(f.FieldType))));

    /// <summary>The instance fields of <paramref name="type"/> and its base classes.</summary>
    private static IEnumerable<FieldInfo> InstanceFields(Type type)
    {
        for (var t = type; t is not null && t != typeof(object); t = t.BaseType)
        {
            foreach (var field in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                yield return field;
        }
    }

    /// <summary>The fix-up of a struct held in a field or an array element, in place.</summary>
    private static class StructFixer<T>
    {
        private delegate void Fixer(ref T value, GraphCopier copier);

        private static readonly Fixer Fixup = Build();

        public static void Fix(ref T value, GraphCopier copier) => Fixup(ref value, copier);

        private static Fixer Build()
        {
            var fields = InstanceFields(typeof(T)).Where(f => HoldsReferences(f.FieldType)).ToList();
            if (fields.Any(f => f.FieldType.IsPointer))
                throw new NotSupportedException($"{typeof(T)} holds a pointer");
            var method = new DynamicMethod($"Fix {typeof(T).Name}", typeof(void), [typeof(T).MakeByRefType(), typeof(GraphCopier)], typeof(GraphCopier).Module, skipVisibility: true);
            var il = method.GetILGenerator();
            Plan.EmitFixups(il, fields, il => il.Emit(OpCodes.Ldarg_0));
            il.Emit(OpCodes.Ret);
            return method.CreateDelegate<Fixer>();
        }
    }
}
